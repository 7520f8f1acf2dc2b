import TermUI

/// Which pane has the keyboard.
public enum Pane: String, Sendable, Hashable, CaseIterable {
    case list, headers, body, signature

    public var title: String {
        switch self {
        case .list: "Requests"
        case .headers: "Headers"
        case .body: "Body"
        case .signature: "Signature"
        }
    }

    var keyContext: KeyContext {
        switch self {
        case .list: .list
        case .body: .body
        case .headers, .signature: .global
        }
    }
}

/// Where each pane goes for a terminal size. Pure, shared by drawing, paging and mouse hit-testing.
public struct ScreenLayout: Sendable, Hashable {
    public static let minimumSize = Size(width: 40, height: 10)
    /// From this width on the headers and body panes sit side by side under the list.
    public static let wideWidth = 100

    public var list = Rect.zero
    public var headers = Rect.zero
    public var body = Rect.zero
    public var signature = Rect.zero
    public var status = Rect.zero
    public var tooSmall = false

    /// `signatureRows`: the rows the signature pane should show inside its border (the verdict and
    /// its detail, wrapped); it gets them up to half of its column.
    public init(size: Size, zoomed: Pane?, signatureRows: Int = 0) {
        guard size.width >= Self.minimumSize.width, size.height >= Self.minimumSize.height else {
            tooSmall = true
            return
        }
        let (area, status) = Rect(size: size).splitBottom(1)
        self.status = status
        if let zoomed {
            self[zoomed] = area
            return
        }
        if size.width >= Self.wideWidth {
            let (list, rest) = area.splitTop(max(6, area.height * 2 / 5))
            let (left, body) = rest.splitLeft(rest.width * 2 / 5)
            let standard = min(8, max(4, left.height / 3))
            let (headers, signature) = left.splitBottom(min(max(standard, signatureRows + 2), max(standard, left.height / 2)))
            self.list = list
            self.headers = headers
            self.signature = signature
            self.body = body
        } else {
            let (list, rest1) = area.splitTop(max(5, area.height / 3))
            let (rest2, signature) = rest1.splitBottom(min(max(4, signatureRows + 2), max(4, rest1.height / 2)))
            let (headers, body) = rest2.splitTop(max(3, (rest2.height * 2 + 2) / 5))
            self.list = list
            self.headers = headers
            self.body = body
            self.signature = signature
        }
    }

    public subscript(pane: Pane) -> Rect {
        get {
            switch pane {
            case .list: list
            case .headers: headers
            case .body: body
            case .signature: signature
            }
        }
        set {
            switch pane {
            case .list: list = newValue
            case .headers: headers = newValue
            case .body: body = newValue
            case .signature: signature = newValue
            }
        }
    }

    /// Rows of requests the list shows (inside the border, below the column header).
    public var listRows: Int { max(0, list.height - 3) }

    /// Lines a text pane shows inside its border.
    public func textRows(_ pane: Pane) -> Int { max(0, self[pane].height - 2) }

    public func pane(atX x: Int, y: Int) -> Pane? {
        Pane.allCases.first { self[$0].contains(x: x, y: y) }
    }
}
