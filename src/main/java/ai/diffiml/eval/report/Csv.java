package ai.diffiml.eval.report;

import java.util.List;
import java.util.Locale;

/** RFC 4180 CSV text: fields with a comma, quote or line break are quoted; numbers in full, NaN as an empty field. */
final class Csv {
    private final StringBuilder text = new StringBuilder();

    /** Appends one row. */
    Csv row(List<?> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(field(fields.get(i)));
        }
        text.append("\r\n");
        return this;
    }

    Csv row(Object... fields) {
        return row(java.util.Arrays.asList(fields));
    }

    static String field(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double d) {
            return number(d);
        }
        if (v instanceof Float f) {
            return number(f);
        }
        String s = v.toString();
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /** A score with 6 decimals (enough for means over a million images), NaN as empty. */
    static String number(double d) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.6f", d);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
