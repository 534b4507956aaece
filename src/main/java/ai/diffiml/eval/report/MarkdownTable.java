package ai.diffiml.eval.report;

import java.util.List;

/**
 * A Markdown table padded so that it also reads as plain text: the first column left-aligned (labels), the others
 * right-aligned (numbers); {@code |} in cells is escaped.
 */
final class MarkdownTable {
    private MarkdownTable() {}

    /** {@code rows.get(0)} is the header; every row has the same number of cells. */
    static String render(List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] width = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], escape(row.get(c)).length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            b.append('|');
            for (int c = 0; c < columns; c++) {
                String cell = escape(rows.get(i).get(c));
                String pad = " ".repeat(width[c] - cell.length());
                b.append(' ').append(c == 0 ? cell + pad : pad + cell).append(" |");
            }
            b.append('\n');
            if (i == 0) {
                b.append('|');
                for (int c = 0; c < columns; c++) {
                    String dashes = "-".repeat(width[c] + 1);
                    b.append(c == 0 ? ":" + dashes : dashes + ":").append('|');
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace('\n', ' ');
    }
}
