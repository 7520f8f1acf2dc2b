import Foundation
import Testing
import TermUI
@testable import HookApp

@Suite struct KeymapTests {
    static let docURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/keybindings.md")

    @Test func keybindingsDocIsGeneratedFromTheKeymap() throws {
        let generated = Keymap.standard.markdown()
        if ProcessInfo.processInfo.environment["UPDATE_KEYBINDINGS_DOC"] == "1" {
            try generated.write(to: Self.docURL, atomically: true, encoding: .utf8)
        }
        let onDisk = try String(contentsOf: Self.docURL, encoding: .utf8)
        #expect(onDisk == generated, "docs/keybindings.md is stale: run UPDATE_KEYBINDINGS_DOC=1 swift test --filter KeymapTests")
    }

    @Test func specKeysAreBound() {
        let map = Keymap.standard
        #expect(map.action(for: .up, in: .list) == .moveUp)
        #expect(map.action(for: .character("k"), in: .list) == .moveUp)
        #expect(map.action(for: .down, in: .list) == .moveDown)
        #expect(map.action(for: .character("j"), in: .body) == .moveDown)
        #expect(map.action(for: .tab, in: .list) == .focusNext)
        #expect(map.action(for: .backTab, in: .list) == .focusPrevious)
        #expect(map.action(for: .character("/"), in: .list) == .filter)
        #expect(map.action(for: .character("/"), in: .body) == .search)
        #expect(map.action(for: .character("r"), in: .list) == .replay)
        #expect(map.action(for: .character("?"), in: .global) == .help)
        #expect(map.action(for: .character("q"), in: .list) == .quit)
        #expect(map.action(for: .character("q"), in: .prompt) == nil)
    }

    @Test func noChordIsBoundTwiceInOneContext() {
        for context in KeyContext.allCases {
            let chords = Keymap.standard.bindings.filter { $0.context == context }.flatMap(\.chords)
            #expect(Set(chords).count == chords.count, "duplicate chord in \(context)")
        }
    }

    @Test func helpScreenListsEveryBinding() {
        let text = Keymap.standard.helpLines().map { line in line.spans.map { String(decoding: $0.bytes, as: UTF8.self) }.joined() }
        for binding in Keymap.standard.bindings {
            #expect(text.contains { $0.contains(binding.help) }, "\(binding.action) missing from help")
        }
    }

    /// Enter and Esc say what they do in each kind of prompt; the words come from the keymap.
    @Test func promptHintsNameWhatEnterAndEscDo() {
        func labels(_ purpose: PromptPurpose?) -> [String] {
            Keymap.standard.hints(for: .prompt, in: purpose).map { "\($0.keys) \($0.label)" }
        }
        #expect(labels(nil) == ["Enter keep", "Esc clear"])
        #expect(labels(.filter) == ["Enter keep", "Esc clear"])
        #expect(labels(.search) == ["Enter keep", "Esc clear"])
        #expect(labels(.replayURL) == ["Enter send", "Esc cancel"])
        #expect(labels(.secret) == ["Enter set", "Esc cancel"])
        // Outside a prompt the kind of prompt changes nothing.
        #expect(Keymap.standard.hints(for: .list, in: .secret).map(\.label) == Keymap.standard.hints(for: .list).map(\.label))
    }
}
