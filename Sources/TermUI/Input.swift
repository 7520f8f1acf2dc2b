/// A key as the app sees it, independent of the terminal library.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case character(Character)
    case up, down, left, right
    case home, end, pageUp, pageDown
    case enter, tab, backTab, escape, backspace, delete
    /// Ctrl plus a letter, lower case.
    case control(Character)
    case function(Int)

    /// The name shown in help and docs: `k`, `Up`, `Shift-Tab`, `PgDn`, `Ctrl-c`.
    public var description: String {
        switch self {
        case .character(" "): "Space"
        case .character(let c): String(c)
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .enter: "Enter"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .control(let c): "Ctrl-\(c)"
        case .function(let n): "F\(n)"
        }
    }
}

public enum MouseButton: Sendable, Hashable {
    case left, middle, right
    case wheelUp, wheelDown
}

/// A mouse event at a cell.
public struct MouseEvent: Sendable, Hashable {
    public var button: MouseButton
    public var x: Int
    public var y: Int

    public init(button: MouseButton, x: Int, y: Int) {
        self.button = button
        self.x = x
        self.y = y
    }
}

/// Everything the terminal reports to the app.
public enum InputEvent: Sendable, Hashable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(Size)
    /// stdin closed: the app must quit.
    case endOfInput
    /// SIGINT, SIGTERM or SIGHUP arrived: the app must quit.
    case terminate(signal: Int32)
}

extension Key {
    /// The key for a character code read from the terminal (not a function key): Tab, Enter (LF or CR),
    /// Esc, Backspace (BS or DEL), Ctrl-letters, otherwise the printable character; nil for other controls.
    public static func fromTerminalCharacter(_ value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(value) + 96)))
        case 0..<32, 0x80..<0xA0: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// Parses a scripted key sequence: plain characters, and `<enter>`, `<esc>`, `<tab>`, `<s-tab>`, `<up>`,
    /// `<down>`, `<left>`, `<right>`, `<home>`, `<end>`, `<pgup>`, `<pgdn>`, `<bs>`, `<del>`, `<space>`,
    /// `<lt>` (a literal `<`), `<c-x>`. Used by tests and scripted sessions.
    public static func parseSequence(_ script: String) -> [Key] {
        var keys: [Key] = []
        var index = script.startIndex
        while index < script.endIndex {
            let c = script[index]
            if c == "<", let close = script[index...].firstIndex(of: ">"), let key = named(String(script[script.index(after: index)..<close])) {
                keys.append(key)
                index = script.index(after: close)
                continue
            }
            keys.append(.character(c))
            index = script.index(after: index)
        }
        return keys
    }

    static func named(_ name: String) -> Key? {
        switch name.lowercased() {
        case "enter", "cr": .enter
        case "esc": .escape
        case "tab": .tab
        case "s-tab": .backTab
        case "up": .up
        case "down": .down
        case "left": .left
        case "right": .right
        case "home": .home
        case "end": .end
        case "pgup": .pageUp
        case "pgdn": .pageDown
        case "bs": .backspace
        case "del": .delete
        case "space": .character(" ")
        case "lt": .character("<")
        default:
            if name.lowercased().hasPrefix("c-"), name.count == 3, let last = name.lowercased().last { .control(last) } else { nil }
        }
    }
}
