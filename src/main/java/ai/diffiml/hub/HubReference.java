package ai.diffiml.hub;

import java.util.regex.Pattern;

/**
 * A file on the Hugging Face Hub as the command line names it: {@code hf:OWNER/REPO[@REVISION][:FILE]}. Without a
 * revision it is {@code main}; without a file the caller's default candidates are tried in order
 * ({@link HubFiles}).
 *
 * @param repo     the repository id, {@code OWNER/REPO} (or a bare legacy name such as {@code gpt2})
 * @param revision a branch, tag or 40-hex commit
 * @param file     the path of the file inside the repository, or null for "the default weights file"
 */
public record HubReference(String repo, String revision, String file) {
    /** The prefix that marks a Hub reference where a local path is otherwise expected. */
    public static final String PREFIX = "hf:";
    /** The revision when none is given, as {@code huggingface_hub}'s. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern REPO = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public HubReference {
        if (repo == null || !REPO.matcher(repo).matches() || repo.contains("--") || repo.contains("..")) {
            throw new IllegalArgumentException("'" + repo + "' is not a Hub repository id (expected OWNER/REPO)");
        }
        if (revision == null || revision.isEmpty()) {
            throw new IllegalArgumentException("the revision after '@' is empty in " + PREFIX + repo);
        }
        if (file != null && (file.isEmpty() || file.startsWith("/") || file.contains("\\")
                || file.equals("..") || file.startsWith("../") || file.contains("/../") || file.endsWith("/.."))) {
            throw new IllegalArgumentException("'" + file + "' is not a file path inside " + PREFIX + repo);
        }
    }

    /** Whether {@code value} is meant as a Hub reference (starts with {@value #PREFIX}). */
    public static boolean isReference(String value) {
        return value != null && value.startsWith(PREFIX);
    }

    /**
     * Parses {@code hf:OWNER/REPO[@REVISION][:FILE]}.
     *
     * @throws IllegalArgumentException (one line) when it is malformed
     */
    public static HubReference parse(String value) {
        if (!isReference(value)) {
            throw new IllegalArgumentException("'" + value + "' does not start with " + PREFIX);
        }
        String rest = value.substring(PREFIX.length());
        String file = null;
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            file = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String revision = DEFAULT_REVISION;
        int at = rest.indexOf('@');
        if (at >= 0) {
            revision = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        try {
            return new HubReference(rest, revision, file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(value + ": " + e.getMessage() + "; the form is "
                    + PREFIX + "OWNER/REPO[@REVISION][:FILE]");
        }
    }

    /** Whether the revision is a full commit hash (then the cache is looked at before the network). */
    public boolean revisionIsCommit() {
        return COMMIT.matcher(revision).matches();
    }

    /** The same repository and revision with {@code f} as the file. */
    public HubReference withFile(String f) {
        return new HubReference(repo, revision, f);
    }

    @Override
    public String toString() {
        return PREFIX + repo + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision)
                + (file == null ? "" : ":" + file);
    }
}
