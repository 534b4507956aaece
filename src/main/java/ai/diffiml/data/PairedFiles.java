package ai.diffiml.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pairs image files with the masks named after them ({@link MaskNames}): in one folder ({@code X.jpg} beside
 * {@code X_gt.png}) or across sibling folders ({@code Tp/X.tif} and {@code CASIA 2 Groundtruth/X_gt.png}, or
 * {@code images/X.jpg} and {@code masks/X.png}). A mask is looked for first in the image's own folder, then in the
 * others; when several other folders hold an image of that stem the mask is ambiguous and counted unmatched. A file
 * recognised as a mask is never returned as a photo. Images without a mask are authentic, except in a folder named
 * {@code Tp} (IMDL-BenCo's and CASIA's folder of tampered images), where they are missing their mask and are left out.
 */
public final class PairedFiles {
    /**
     * What pairing found.
     *
     * @param samples the images, with their masks where they have one, by relative path
     * @param masks every file used as a mask
     * @param unmatchedMasks files named like a mask (or in a mask folder) whose image is not there, and second masks
     *     of an image that already has one
     * @param missingMasks {@code Tp/} images without a mask (left out of {@code samples})
     */
    public record Result(List<Sample> samples, List<Path> masks, List<Path> unmatchedMasks, List<Path> missingMasks) {
        /** Whether at least one image has a mask. */
        public boolean paired() {
            return !masks.isEmpty();
        }

        /** Whether the images and their masks lie in more than one folder. */
        public boolean acrossFolders() {
            return samples.stream().map(s -> s.image().getParent()).distinct().count() > 1
                    || samples.stream().anyMatch(s -> s.tampered()
                            && !s.mask().getParent().equals(s.image().getParent()));
        }
    }

    private PairedFiles() {}

    /** Pairs {@code files} (image files, sorted or not); ids are paths relative to {@code base}. */
    public static Result pair(Path base, List<Path> files) {
        Map<String, List<Path>> byStem = new HashMap<>();
        for (Path f : files) {
            if (MaskNames.imageStem(MaskNames.stem(f)) == null && !inMaskFolder(base, f)) {
                byStem.computeIfAbsent(MaskNames.stem(f), k -> new ArrayList<>()).add(f);
            }
        }
        Map<Path, Path> maskOf = new LinkedHashMap<>();
        List<Path> unmatched = new ArrayList<>(), images = new ArrayList<>(), masks = new ArrayList<>();
        for (Path f : sorted(base, files)) {
            String named = MaskNames.imageStem(MaskNames.stem(f));
            boolean maskFolder = inMaskFolder(base, f);
            Path partner = named == null ? null : find(byStem, named, f, false);
            if (partner == null && maskFolder) {
                partner = find(byStem, MaskNames.stem(f), f, true);
            }
            if (partner != null) {
                if (maskOf.putIfAbsent(partner, f) == null) {
                    masks.add(f);
                } else {
                    unmatched.add(f);
                }
            } else if (named != null || maskFolder) {
                unmatched.add(f);
            } else {
                images.add(f);
            }
        }
        if (masks.isEmpty()) { // no pairs: every file is a photo, whatever its name
            List<Sample> all = new ArrayList<>();
            for (Path f : sorted(base, files)) {
                all.add(Sample.authentic(id(base, f), f));
            }
            return new Result(all, List.of(), List.of(), List.of());
        }
        List<Sample> samples = new ArrayList<>();
        List<Path> missing = new ArrayList<>();
        for (Path image : images) {
            Path mask = maskOf.get(image);
            if (mask != null) {
                samples.add(new Sample(id(base, image), image, mask));
            } else if (isTpFolder(base, image)) {
                missing.add(image);
            } else {
                samples.add(Sample.authentic(id(base, image), image));
            }
        }
        return new Result(samples, masks, unmatched, missing);
    }

    /** The image of stem {@code stem} for {@code mask}: in its folder, else the only one elsewhere, else null. */
    private static Path find(Map<String, List<Path>> byStem, String stem, Path mask, boolean otherFoldersOnly) {
        List<Path> candidates = byStem.getOrDefault(stem, List.of());
        Path folder = mask.getParent();
        if (!otherFoldersOnly) {
            for (Path c : candidates) {
                if (folder.equals(c.getParent()) && !c.equals(mask)) {
                    return c;
                }
            }
        }
        List<Path> elsewhere = candidates.stream().filter(c -> !folder.equals(c.getParent())).toList();
        return elsewhere.size() == 1 ? elsewhere.get(0) : null;
    }

    private static boolean inMaskFolder(Path base, Path file) {
        Path parent = file.getParent();
        return parent != null && !parent.equals(base) && MaskNames.isMaskFolder(parent);
    }

    private static boolean isTpFolder(Path base, Path file) {
        Path parent = file.getParent();
        return parent != null && !parent.equals(base) && parent.getFileName() != null
                && parent.getFileName().toString().toLowerCase(Locale.ROOT).equals("tp");
    }

    private static List<Path> sorted(Path base, List<Path> files) {
        return files.stream().sorted((a, b) -> id(base, a).compareTo(id(base, b))).toList();
    }

    private static String id(Path base, Path file) {
        return base.relativize(file).toString().replace('\\', '/');
    }
}
