/// Colours are named by what they mean; a `Theme` turns a role into terminal colours.
public enum ColorRole: String, Sendable, Hashable, CaseIterable {
    case normal
    case muted
    case title
    case border
    case borderFocused
    case selection
    case statusBar
    case statusMessage
    case statusError
    case hint
    case method
    case key
    case string
    case number
    case literal
    case punctuation
    case error
    case heading
    case searchMatch
    case verdictValid
    case verdictInvalid
    case verdictNoSecret
    case verdictUnsigned
    case prompt
    /// Reserved for text the sanitizer escaped. Writing APIs never let a caller pick it for literal text.
    case escaped
}

/// The style of one cell: a role plus attributes.
public struct Style: Sendable, Hashable {
    public var role: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(_ role: ColorRole = .normal, bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.role = role == .escaped ? .normal : role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let normal = Style()

    /// The style of escaped (sanitized) text: only the sanitizer path produces it.
    static let escapedText = { () -> Style in
        var s = Style()
        s.role = .escaped
        return s
    }()
}

/// The eight basic terminal colours plus the terminal's default.
public enum TerminalColor: Int, Sendable, Hashable {
    case `default` = -1
    case black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// How one role looks on the terminal.
public struct RoleAppearance: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
    public var dim: Bool

    public init(_ foreground: TerminalColor = .default, _ background: TerminalColor = .default,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }
}

/// Maps roles to appearances. `colour` for colour terminals, `monochrome` for `NO_COLOR` and terminals without colour.
public struct Theme: Sendable {
    public var name: String
    public var usesColor: Bool
    private var table: [ColorRole: RoleAppearance]

    public init(name: String, usesColor: Bool, table: [ColorRole: RoleAppearance]) {
        self.name = name
        self.usesColor = usesColor
        self.table = table
    }

    public func appearance(of role: ColorRole) -> RoleAppearance {
        table[role] ?? RoleAppearance()
    }

    public static let colour = Theme(name: "colour", usesColor: true, table: [
        .muted: RoleAppearance(dim: true),
        .title: RoleAppearance(bold: true),
        .border: RoleAppearance(dim: true),
        .borderFocused: RoleAppearance(.cyan, bold: true),
        .selection: RoleAppearance(reverse: true),
        .statusBar: RoleAppearance(.black, .cyan),
        .statusMessage: RoleAppearance(.black, .yellow),
        .statusError: RoleAppearance(.white, .red, bold: true),
        .hint: RoleAppearance(.black, .cyan, bold: true),
        .method: RoleAppearance(.magenta, bold: true),
        .key: RoleAppearance(.blue, bold: true),
        .string: RoleAppearance(.green),
        .number: RoleAppearance(.cyan),
        .literal: RoleAppearance(.yellow),
        .punctuation: RoleAppearance(dim: true),
        .error: RoleAppearance(.red, bold: true),
        .heading: RoleAppearance(.yellow, bold: true),
        .searchMatch: RoleAppearance(.black, .yellow),
        .verdictValid: RoleAppearance(.green, bold: true),
        .verdictInvalid: RoleAppearance(.red, bold: true),
        .verdictNoSecret: RoleAppearance(.yellow),
        .verdictUnsigned: RoleAppearance(dim: true),
        .prompt: RoleAppearance(.black, .white),
        .escaped: RoleAppearance(.white, .magenta, bold: true),
    ])

    public static let monochrome = Theme(name: "monochrome", usesColor: false, table: [
        .muted: RoleAppearance(dim: true),
        .title: RoleAppearance(bold: true),
        .border: RoleAppearance(),
        .borderFocused: RoleAppearance(bold: true),
        .selection: RoleAppearance(reverse: true),
        .statusBar: RoleAppearance(reverse: true),
        .statusMessage: RoleAppearance(bold: true, reverse: true),
        .statusError: RoleAppearance(bold: true, reverse: true, underline: true),
        .hint: RoleAppearance(bold: true, reverse: true),
        .method: RoleAppearance(bold: true),
        .key: RoleAppearance(bold: true),
        .error: RoleAppearance(bold: true, underline: true),
        .heading: RoleAppearance(bold: true),
        .searchMatch: RoleAppearance(reverse: true, underline: true),
        .verdictValid: RoleAppearance(bold: true),
        .verdictInvalid: RoleAppearance(bold: true, underline: true),
        .verdictUnsigned: RoleAppearance(dim: true),
        .prompt: RoleAppearance(reverse: true),
        .escaped: RoleAppearance(bold: true, underline: true),
    ])

    /// The theme for an environment: monochrome when `NO_COLOR` is set to anything non-empty or colours are unavailable.
    public static func choose(environment: [String: String], terminalHasColors: Bool) -> Theme {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        return terminalHasColors ? .colour : .monochrome
    }
}
