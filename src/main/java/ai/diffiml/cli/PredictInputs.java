package ai.diffiml.cli;

import ai.diffiml.data.Dataset;
import ai.diffiml.data.DatasetException;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.PairedFiles;
import ai.diffiml.data.Sample;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images {@code predict} reads, from what the user typed: an image file; a folder (an IMDL-BenCo folder's
 * Tp/ and Au/ images, or the images directly in a plain folder); a glob ({@code 'photos/*.jpg'},
 * {@code 'data/**.png'}; quote it, or let the shell expand it into several inputs); an MVSS-Net list (.txt) or a
 * BenCo JSON list (masks in lists are ignored: prediction needs no ground truth). Each image gets an output name:
 * its file name without the extension, made unique where two inputs would share it (first by the dataset's
 * relative path, then with the extension, then with a counter). The same file named twice is kept once. In a folder
 * or a glob, a file named as another file's mask ({@code X_gt.png} beside {@code X.jpg}, see
 * {@link ai.diffiml.data.MaskNames}) is skipped and counted, never predicted as a photo.
 */
final class PredictInputs {
    /** One image to predict and the stem of its output files. */
    record Item(Path image, String name) {}

    private PredictInputs() {}

    /** The images to predict and the number of mask files skipped in folders and globs. */
    record Resolved(List<Item> items, int skippedMasks) {}

    /** Every image of {@code inputs}, in order; a problem with an input is a one-line {@link IOException}. */
    static List<Item> resolve(List<String> inputs) throws IOException {
        return resolveCounting(inputs).items();
    }

    /** {@link #resolve}, with the count of skipped masks. */
    static Resolved resolveCounting(List<String> inputs) throws IOException {
        List<Sample> samples = new ArrayList<>();
        int[] skipped = new int[1];
        for (String input : inputs) {
            samples.addAll(expand(input, skipped));
        }
        Set<Path> seen = new HashSet<>();
        List<Sample> unique = new ArrayList<>();
        for (Sample s : samples) {
            if (seen.add(s.image().toAbsolutePath().normalize())) {
                unique.add(s);
            }
        }
        return new Resolved(name(unique), skipped[0]);
    }

    private static List<Sample> expand(String input, int[] skipped) throws IOException {
        if (isGlob(input)) {
            return glob(input, skipped);
        }
        Path path = Path.of(input);
        if (!Files.exists(path)) {
            throw new DatasetException(path, "no such file or folder");
        }
        if (Files.isRegularFile(path) && ImageFiles.hasImageExtension(path)) {
            return List.of(Sample.authentic(path.getFileName().toString(), path));
        }
        Dataset dataset = DatasetReaders.open(path); // a folder, a BenCo JSON list or an MVSS-Net list
        if (!Files.isDirectory(path) || dataset.layout().equals(DatasetReaders.BENCO_FOLDER)) {
            return dataset.samples(); // masks are listed apart from the images (lists, Gt/)
        }
        skipped[0] += dataset.tamperedCount() + dataset.unmatchedMasks().size();
        List<Sample> photos = new ArrayList<>(dataset.samples());
        for (Path image : dataset.missingMasks()) { // no ground truth, but still a photo to predict
            photos.add(Sample.authentic(image.getFileName().toString(), image));
        }
        return photos;
    }

    static boolean isGlob(String input) {
        return input.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    /**
     * The image files matching {@code pattern} (Java glob syntax): the leading folders without wildcards are the
     * folder searched, the rest is matched against the paths below it ({@code **} crosses folders).
     */
    private static List<Sample> glob(String pattern, int[] skipped) throws IOException {
        Path typed = Path.of(pattern);
        int n = typed.getNameCount(), fixed = 0;
        while (fixed < n - 1 && !isGlob(typed.getName(fixed).toString())) {
            fixed++;
        }
        Path base = fixed == 0 ? Path.of(".") : typed.subpath(0, fixed);
        if (typed.getRoot() != null) {
            base = typed.getRoot().resolve(base);
        }
        Path rest = typed.subpath(fixed, n);
        int depth = rest.toString().contains("**") ? Integer.MAX_VALUE : rest.getNameCount();
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        if (!Files.isDirectory(base)) {
            throw new DatasetException(base, "no such folder (in the pattern '" + pattern + "')");
        }
        Path root = base;
        List<Sample> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(base, depth)) {
            files.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension)
                    .filter(p -> matcher.matches(root.relativize(p))).sorted()
                    .forEach(p -> found.add(Sample.authentic(root.relativize(p).toString(), p)));
        } catch (java.io.UncheckedIOException e) {
            throw new DatasetException(base, "cannot list: " + e.getCause().getMessage(), e.getCause());
        }
        if (found.isEmpty()) {
            throw new DatasetException(base, "no image files match '" + pattern + "'");
        }
        // a matched file is a mask when its folder pairs it with an image there, matched by the pattern or not
        Set<Path> masks = new HashSet<>();
        for (Path folder : found.stream().map(s -> s.image().getParent()).distinct().toList()) {
            List<Path> files;
            try (Stream<Path> listed = Files.list(folder)) {
                files = listed.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension).toList();
            }
            PairedFiles.Result paired = PairedFiles.pair(folder, files);
            masks.addAll(paired.masks());
            masks.addAll(paired.unmatchedMasks());
        }
        List<Sample> photos = found.stream().filter(s -> !masks.contains(s.image())).toList();
        skipped[0] += found.size() - photos.size();
        return photos;
    }

    /** Output names: the file's stem, disambiguated where needed (see the class comment). */
    private static List<Item> name(List<Sample> samples) {
        String[] names = new String[samples.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = safe(stem(samples.get(i).image().getFileName().toString()));
        }
        for (int pass = 0; pass < 2; pass++) {
            Map<String, Integer> counts = counts(names);
            for (int i = 0; i < names.length; i++) {
                if (counts.get(names[i]) > 1) {
                    String id = samples.get(i).id();
                    names[i] = safe(pass == 0 ? stem(id) : id);
                }
            }
        }
        Map<String, Integer> counts = counts(names);
        Map<String, Integer> used = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            if (counts.get(names[i]) > 1) {
                int k = used.merge(names[i], 1, Integer::sum);
                names[i] = names[i] + "-" + k;
            }
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            items.add(new Item(samples.get(i).image(), names[i]));
        }
        return items;
    }

    private static Map<String, Integer> counts(String[] names) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String n : names) {
            counts.merge(n.toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        Map<String, Integer> byName = new HashMap<>();
        for (String n : names) {
            byName.put(n, counts.get(n.toLowerCase(Locale.ROOT)));
        }
        return byName;
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        return dot > slash + 1 ? name.substring(0, dot) : name;
    }

    /** Letters, digits, '.', '-' and '_' kept; anything else (path separators included) becomes '_'. */
    private static String safe(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }
}
