package ai.diffiml.nn;

/** A module that only groups named children, for weight names such as {@code attention.self.query}. */
public final class Container extends Module {
    public <M extends Module> M add(String name, M module) {
        return child(name, module);
    }
}
