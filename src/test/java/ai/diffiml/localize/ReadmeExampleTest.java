package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's embedding example, exactly as written there: the first Java block of its "Embedding" section is
 * compiled against the test classpath and run on a tiny checkpoint and image written here.
 */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    /** The first ```java block after the heading "## Embedding" in the README. */
    static String example() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("\n## Embedding\n");
        assertTrue(section >= 0, "README.md has an Embedding section");
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(section), "the Embedding section has a java block");
        int next = readme.indexOf("\n## ", section + 1);
        assertTrue(next < 0 || block.start() < next, "the java block is in the Embedding section");
        return block.group(1);
    }

    @Test
    void theEmbeddingExampleCompilesAndRuns() throws Exception {
        String code = example();
        Matcher name = Pattern.compile("public class (\\w+)").matcher(code);
        assertTrue(name.find(), "the example is a public class");
        Path src = dir.resolve("src").resolve(name.group(1) + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, code);
        Path classes = Files.createDirectories(dir.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        // Surefire's class path (a manifest-only jar, whose Class-Path javac follows) is the test class path.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        boolean ok = javac.getTask(messages, null, null, List.of("-classpath", classPath, "-d", classes.toString(),
                "-Xlint:all", "-Werror"), null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
                .getJavaFileObjects(src)).call();
        assertTrue(ok, () -> "the README example does not compile:\n" + messages);

        Path checkpoint = LocalizeFixtures.diffImlCheckpoint(dir.resolve("checkpoint"), 3);
        Path image = LocalizeFixtures.png(dir.resolve("photo.png"), 48, 36, 4);
        Path out = Files.createDirectories(dir.resolve("out"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass(name.group(1)).getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {checkpoint.toString(), image.toString(), out.toString()});
        } finally {
            System.setOut(stdout);
        }
        String line = printed.toString(StandardCharsets.UTF_8);
        assertTrue(line.startsWith(image + ": max 0."), line);
        for (String file : List.of("probability.png", "mask.png", "uncertainty.png")) {
            BufferedImage picture = ImageIO.read(out.resolve(file).toFile());
            assertEquals(48, picture.getWidth(), file);
            assertEquals(36, picture.getHeight(), file);
        }
    }
}
