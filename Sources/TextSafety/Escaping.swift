/// The one table of scalars that never reach a terminal as they are, shared by the TUI's sanitizer
/// and the headless escapers (readable lines, JSON lines, HAR), and the cap on combining marks in a
/// row that both apply.
public enum Escaping {
    /// Whether a scalar must be written escaped: C0 and C1 controls, DEL, bidi marks, embeddings,
    /// overrides and isolates, zero-width and other invisible characters (soft hyphen, word joiner,
    /// invisible operators, interlinear annotation, tag characters), BOM, line/paragraph separators.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F,            // C0 controls
             0x7F...0x9F,            // DEL, C1 controls
             0x00AD,                 // soft hyphen (invisible)
             0x061C,                 // Arabic letter mark
             0x180E,                 // Mongolian vowel separator
             0x200B...0x200F,        // zero-width space/non-joiner/joiner, LRM, RLM
             0x2028...0x202E,        // line/paragraph separators, bidi embeddings and overrides
             0x2060...0x206F,        // word joiner, invisible operators, bidi isolates, deprecated format
             0xFEFF,                 // zero-width no-break space / BOM
             0xFFF9...0xFFFB,        // interlinear annotation
             0xE0000...0xE007F:      // tag characters
            return true
        default:
            return false
        }
    }

    /// How many combining marks in a row are shown as they are; the rest are escaped (thousands on
    /// one letter slow a terminal down).
    public static let maxCombiningMarks = 4

    /// A mark drawn on the character before it (accents, enclosing circles).
    public static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: true
        default: false
        }
    }
}
