import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/* A small JSON reader and writer: the JDK has none. Objects read as
 * LinkedHashMap<String, Object>, arrays as List<Object>, numbers as Long (or Double
 * when they carry a fraction or exponent), true/false as Boolean, null as null. The
 * control channel and the frames carry nothing more. */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length())
            throw p.error("trailing characters");
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + i);
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0)
            i++;
    }

    private char peek() {
        if (i >= s.length())
            throw error("unexpected end");
        return s.charAt(i);
    }

    private void expect(char c) {
        if (peek() != c)
            throw error("expected '" + c + "'");
        i++;
    }

    private Object value() {
        char c = peek();
        switch (c) {
        case '{':
            return object();
        case '[':
            return array();
        case '"':
            return string();
        case 't':
            return word("true", Boolean.TRUE);
        case 'f':
            return word("false", Boolean.FALSE);
        case 'n':
            return word("null", null);
        default:
            return number();
        }
    }

    private Object word(String w, Object v) {
        if (!s.startsWith(w, i))
            throw error("unexpected token");
        i += w.length();
        return v;
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        expect('{');
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        for (;;) {
            ws();
            String k = string();
            ws();
            expect(':');
            ws();
            m.put(k, value());
            ws();
            if (peek() == ',') {
                i++;
                continue;
            }
            expect('}');
            return m;
        }
    }

    private List<Object> array() {
        List<Object> a = new ArrayList<>();
        expect('[');
        ws();
        if (peek() == ']') {
            i++;
            return a;
        }
        for (;;) {
            ws();
            a.add(value());
            ws();
            if (peek() == ',') {
                i++;
                continue;
            }
            expect(']');
            return a;
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        for (;;) {
            char c = peek();
            i++;
            if (c == '"')
                return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            i++;
            switch (e) {
            case 'n': b.append('\n'); break;
            case 't': b.append('\t'); break;
            case 'r': b.append('\r'); break;
            case 'b': b.append('\b'); break;
            case 'f': b.append('\f'); break;
            case 'u':
                if (i + 4 > s.length())
                    throw error("bad \\u escape");
                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                i += 4;
                break;
            default: b.append(e);
            }
        }
    }

    private Object number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0)
            i++;
        String n = s.substring(start, i);
        if (n.isEmpty())
            throw error("unexpected character");
        try {
            if (n.indexOf('.') >= 0 || n.indexOf('e') >= 0 || n.indexOf('E') >= 0)
                return Double.valueOf(n);
            return Long.valueOf(n);
        } catch (NumberFormatException ex) {
            throw error("bad number");
        }
    }

    /* Writing: Map, List, String, Number, Boolean, null; int[] as an array. */
    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String) {
            quote(b, (String) v);
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first)
                    b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List) {
            b.append('[');
            boolean first = true;
            for (Object o : (List<?>) v) {
                if (!first)
                    b.append(',');
                first = false;
                write(b, o);
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("JSON: cannot write " + v.getClass());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\')
                b.append('\\').append(c);
            else if (c == '\n')
                b.append("\\n");
            else if (c < 0x20 || c == 0x7f)
                b.append(String.format("\\u%04x", (int) c));
            else
                b.append(c);
        }
        b.append('"');
    }

    /* Typed access to a parsed object, with the key named in the error. */
    static String str(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v == null)
            return null;
        if (!(v instanceof String))
            throw new IllegalArgumentException("JSON: \"" + k + "\" is not a string");
        return (String) v;
    }

    static boolean bool(Map<String, Object> m, String k, boolean dflt) {
        Object v = m.get(k);
        if (v == null)
            return dflt;
        if (!(v instanceof Boolean))
            throw new IllegalArgumentException("JSON: \"" + k + "\" is not a boolean");
        return (Boolean) v;
    }

    static Long num(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v == null)
            return null;
        if (!(v instanceof Long))
            throw new IllegalArgumentException("JSON: \"" + k + "\" is not an integer");
        return (Long) v;
    }

    static List<Object> list(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v == null)
            return new ArrayList<>();
        if (!(v instanceof List))
            throw new IllegalArgumentException("JSON: \"" + k + "\" is not an array");
        @SuppressWarnings("unchecked")
        List<Object> l = (List<Object>) v;
        return l;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object v) {
        if (!(v instanceof Map))
            throw new IllegalArgumentException("JSON: not an object");
        return (Map<String, Object>) v;
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k + 1 < kv.length; k += 2)
            m.put((String) kv[k], kv[k + 1]);
        return m;
    }
}
