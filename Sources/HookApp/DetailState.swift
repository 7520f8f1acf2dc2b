import HookCore
import HookSignatures

/// The panes: which one has the keyboard, whether it is zoomed, and the selected capture with the
/// scroll position of each pane that shows it.
public struct DetailState: Sendable {
    public internal(set) var focus: Pane = .list
    public internal(set) var zoomed = false
    /// The selected capture, once loaded.
    public internal(set) var request: CapturedRequest? {
        didSet { identity = request.map(Self.identity(of:)) ?? DeliveryIdentity() }
    }
    /// The selected capture's event type and delivery id: as stored, or, for a capture stored
    /// before they were read (until `DeliveryCatchUp` reads them), read once when it is set (it
    /// may look into the body), not on every frame that draws the headers pane.
    public private(set) var identity = DeliveryIdentity()
    /// The captures of the selected capture's delivery id, oldest first: its attempts.
    public internal(set) var deliveryAttempts: [RequestSummary] = []

    static func identity(of request: CapturedRequest) -> DeliveryIdentity {
        if request.event != nil || request.deliveryID != nil {
            return DeliveryIdentity(event: request.event, deliveryID: request.deliveryID)
        }
        return DeliveryIdentity.of(request, provider: request.signature.provider)
    }
    /// The capture being loaded.
    var loadingID: Int64?
    /// A capture the list showed but the store no longer has.
    var unavailableID: Int64?
    public internal(set) var headersScroll = 0
    /// Horizontal scroll of the text panes, in columns.
    public internal(set) var horizontalScroll: [Pane: Int] = [:]
    public internal(set) var signatureScroll = 0
    /// The diagnosis of the capture's signature.
    public internal(set) var signatureLines: [String] = []
    public internal(set) var body = BodyState()
}

/// The body pane: the views for the selected capture, the formatted body and the search.
public struct BodyState: Sendable {
    public internal(set) var views: [BodyView] = []
    public internal(set) var viewIndex = 0
    var previousViewIndex: Int?
    /// The user picked the current view (v or b); raw and hex then stay picked for the next request.
    var chosenByUser = false
    public internal(set) var formatted: (any FormattedBody)?
    public internal(set) var scroll = 0
    public internal(set) var query = ""
    public internal(set) var searchGeneration = 0
    /// The lines that hold the query.
    public internal(set) var matches: [Int] = []
    /// The match shown, an index into `matches`.
    public internal(set) var currentMatch: Int?

    public var currentView: BodyView? { viewIndex < views.count ? views[viewIndex] : nil }

    /// Set while the pane shows the diff of two captures (`=`) instead of the body; `formatted`
    /// then holds the diff's lines, so scrolling, zoom and search work on it as on a body.
    public internal(set) var diff: DiffPair?
}

/// The two captures a diff compares: A (marked with `m`) and B (selected when `=` was pressed).
public struct DiffPair: Sendable, Hashable {
    public var a: Int64
    public var b: Int64
}
