import HookCore

/// Side effects the state asks for; the runtime runs them as child tasks and sends back events.
public enum Effect: Sendable {
    case loadCount
    case loadWindow(offset: Int, limit: Int)
    case loadRequest(id: Int64)
    /// Loads the captures of a delivery id (the selected capture's attempts).
    case loadDelivery(requestID: Int64, deliveryID: String)
    case formatBody(CapturedRequest, BodyView)
    /// Loads two captures and lays out their diff (the body pane shows it).
    case diff(a: Int64, b: Int64)
    case explainSignature(CapturedRequest)
    /// Scans the whole store in batches; a newer scan or `cancelFilterScan` cancels it.
    case scanFilter(generation: Int, filter: RequestFilter)
    case cancelFilterScan
    /// Checks one capture against the active filter: a new one, or one whose forward just came back.
    case checkFilter(generation: Int, filter: RequestFilter, id: Int64)
    /// Searches the formatted body; a newer search cancels it.
    case searchBody(generation: Int, body: any FormattedBody, query: [UInt8])
    case delete(id: Int64)
    case deleteAll
    /// Sends a capture to a URL (the result comes back as `.replayed`).
    case replay(id: Int64, target: String, resign: Bool)
    /// Opens the capture as raw HTTP in the editor, then replays the edited copy.
    case editAndReplay(id: Int64, target: String, resign: Bool)
    /// Copies a capture as a curl command aimed at the address it arrived on, else at `baseURL`
    /// (captures stored before that address was kept).
    case copyCurl(id: Int64, baseURL: String)
    case saveSample(id: Int64)
    /// Writes the captures matching `filter` (all when nil) as a HAR file.
    case exportList(filter: RequestFilter?)
    /// Adds a secret, re-verifies the visible captures, then all the others.
    case setSecret(provider: String, secret: String, visible: [Int64])
    /// Reads the secrets loaded, masked (`S`).
    case listSecrets
    /// Reads the response rules with their match counts and the override in force (`u`).
    case listRules
    /// Sets (or with nil, ends) the override that answers before the rules (`F`, `!`).
    case setOverride(AnswerOverride?)
    /// Removes a provider's `index`-th secret (0-based), then re-verifies as `setSecret` does.
    case removeSecret(provider: String, index: Int, visible: [Int64])
    /// Loads the stored replays of a capture (its newest shows in the signature pane).
    case loadReplays(id: Int64)
    /// Loads the newest replay of each of these captures (rows of the filtered list).
    case loadReplayMarks(ids: [Int64])
    /// Loads the replay targets used before (the replay prompt's history, kept in the store).
    case loadReplayTargets
    /// Stores a replay target as the one used last.
    case rememberReplayTarget(String)

    /// Effects in the same slot replace each other: the runtime cancels the older task.
    public var slot: EffectSlot? {
        switch self {
        case .scanFilter, .cancelFilterScan: .filter
        case .searchBody: .search
        case .formatBody, .diff: .format
        case .loadWindow: .window
        // Only the newest selection matters: a flood of captures while following cancels older loads.
        case .loadRequest: .request
        case .setSecret, .removeSecret: .reverify
        case .loadReplays: .replays
        case .loadDelivery: .delivery
        case .explainSignature: .explain
        default: nil
        }
    }
}

/// A kind of effect of which only the newest runs: starting one cancels the one before.
public enum EffectSlot: Sendable, Hashable {
    /// Scanning the store for the active filter.
    case filter
    /// Searching the formatted body.
    case search
    /// Formatting the selected capture's body.
    case format
    /// Loading the list window.
    case window
    /// Loading the selected capture.
    case request
    /// Re-verifying the captures after a new secret.
    case reverify
    /// Loading the selected capture's replays.
    case replays
    /// Explaining the selected capture's signature.
    case explain
    /// Loading the attempts of the selected capture's delivery.
    case delivery
}
