import Foundation
import Testing
@testable import HookSignatures

/// The order-keeping JSON re-serializer behind the mismatch diagnosis, checked against what real
/// senders' libraries write. The expected strings were produced by Node 20's `JSON.stringify`
/// (compact, `null, 2`, `null, 4`; they agree with Python's) and CPython 3.11's `json.dumps` (sorted
/// keys, default separators, `ensure_ascii`), with `/` replaced by `\/` for the PHP-style escaping.
@Suite struct ReserializableJSONTests {
    struct Oracle {
        var body: String
        var compact: String
        var sorted: String
        var slash: String
        var pretty2: String
        var pretty4: String
        var pyspaced: String
        var pydefault: String
        var ascii: String
        var meta: String
    }

    static let oracles: [Oracle] = [
        Oracle(
            body: "{\"zeta\":1,\"alpha\":{\"b\":[1,2],\"a\":\"x y\"},\"mid\":null}",
            compact: "{\"zeta\":1,\"alpha\":{\"b\":[1,2],\"a\":\"x y\"},\"mid\":null}",
            sorted: "{\"alpha\":{\"a\":\"x y\",\"b\":[1,2]},\"mid\":null,\"zeta\":1}",
            slash: "{\"zeta\":1,\"alpha\":{\"b\":[1,2],\"a\":\"x y\"},\"mid\":null}",
            pretty2: "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"b\": [\n      1,\n      2\n    ],\n    \"a\": \"x y\"\n  },\n  \"mid\": null\n}",
            pretty4: "{\n    \"zeta\": 1,\n    \"alpha\": {\n        \"b\": [\n            1,\n            2\n        ],\n        \"a\": \"x y\"\n    },\n    \"mid\": null\n}",
            pyspaced: "{\"zeta\": 1, \"alpha\": {\"b\": [1, 2], \"a\": \"x y\"}, \"mid\": null}",
            pydefault: "{\"zeta\": 1, \"alpha\": {\"b\": [1, 2], \"a\": \"x y\"}, \"mid\": null}",
            ascii: "{\"zeta\":1,\"alpha\":{\"b\":[1,2],\"a\":\"x y\"},\"mid\":null}",
            meta: "{\"zeta\":1,\"alpha\":{\"b\":[1,2],\"a\":\"x y\"},\"mid\":null}"
        ),
        Oracle(
            body: "{ \"url\" : \"https:\\/\\/example.com\\/a\" , \"n\" : -2500.25, \"t\": true, \"f\": false }",
            compact: "{\"url\":\"https://example.com/a\",\"n\":-2500.25,\"t\":true,\"f\":false}",
            sorted: "{\"f\":false,\"n\":-2500.25,\"t\":true,\"url\":\"https://example.com/a\"}",
            slash: "{\"url\":\"https:\\/\\/example.com\\/a\",\"n\":-2500.25,\"t\":true,\"f\":false}",
            pretty2: "{\n  \"url\": \"https://example.com/a\",\n  \"n\": -2500.25,\n  \"t\": true,\n  \"f\": false\n}",
            pretty4: "{\n    \"url\": \"https://example.com/a\",\n    \"n\": -2500.25,\n    \"t\": true,\n    \"f\": false\n}",
            pyspaced: "{\"url\": \"https://example.com/a\", \"n\": -2500.25, \"t\": true, \"f\": false}",
            pydefault: "{\"url\": \"https://example.com/a\", \"n\": -2500.25, \"t\": true, \"f\": false}",
            ascii: "{\"url\":\"https://example.com/a\",\"n\":-2500.25,\"t\":true,\"f\":false}",
            meta: "{\"url\":\"https:\\/\\/example.com\\/a\",\"n\":-2500.25,\"t\":true,\"f\":false}"
        ),
        Oracle(
            body: "{\"name\":\"caf\\u00e9\",\"emoji\":\"\\ud83d\\ude00\",\"raw\":\"café 😀\",\"q\":\"\\\"quoted\\\" \\\\ back\"}",
            compact: "{\"name\":\"café\",\"emoji\":\"😀\",\"raw\":\"café 😀\",\"q\":\"\\\"quoted\\\" \\\\ back\"}",
            sorted: "{\"emoji\":\"😀\",\"name\":\"café\",\"q\":\"\\\"quoted\\\" \\\\ back\",\"raw\":\"café 😀\"}",
            slash: "{\"name\":\"café\",\"emoji\":\"😀\",\"raw\":\"café 😀\",\"q\":\"\\\"quoted\\\" \\\\ back\"}",
            pretty2: "{\n  \"name\": \"café\",\n  \"emoji\": \"😀\",\n  \"raw\": \"café 😀\",\n  \"q\": \"\\\"quoted\\\" \\\\ back\"\n}",
            pretty4: "{\n    \"name\": \"café\",\n    \"emoji\": \"😀\",\n    \"raw\": \"café 😀\",\n    \"q\": \"\\\"quoted\\\" \\\\ back\"\n}",
            pyspaced: "{\"name\": \"café\", \"emoji\": \"😀\", \"raw\": \"café 😀\", \"q\": \"\\\"quoted\\\" \\\\ back\"}",
            pydefault: "{\"name\": \"caf\\u00e9\", \"emoji\": \"\\ud83d\\ude00\", \"raw\": \"caf\\u00e9 \\ud83d\\ude00\", \"q\": \"\\\"quoted\\\" \\\\ back\"}",
            ascii: "{\"name\":\"caf\\u00e9\",\"emoji\":\"\\ud83d\\ude00\",\"raw\":\"caf\\u00e9 \\ud83d\\ude00\",\"q\":\"\\\"quoted\\\" \\\\ back\"}",
            meta: "{\"name\":\"caf\\u00e9\",\"emoji\":\"\\ud83d\\ude00\",\"raw\":\"caf\\u00e9 \\ud83d\\ude00\",\"q\":\"\\\"quoted\\\" \\\\ back\"}"
        ),
        Oracle(
            body: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\\u007f\"}",
            compact: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\u{7f}\"}",
            sorted: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\u{7f}\"}",
            slash: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\u{7f}\"}",
            pretty2: "{\n  \"ctl\": \"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\n  \"del\": \"\u{7f}\"\n}",
            pretty4: "{\n    \"ctl\": \"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\n    \"del\": \"\u{7f}\"\n}",
            pyspaced: "{\"ctl\": \"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\", \"del\": \"\u{7f}\"}",
            pydefault: "{\"ctl\": \"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\", \"del\": \"\\u007f\"}",
            ascii: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\\u007f\"}",
            meta: "{\"ctl\":\"tab\\there\\nnew\\u0001\\u001f\\b\\f\\r\",\"del\":\"\\u007f\"}"
        ),
        Oracle(
            body: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]",
            compact: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]",
            sorted: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]",
            slash: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]",
            pretty2: "[\n  {},\n  [],\n  {\n    \"a\": []\n  },\n  [\n    [\n      {}\n    ]\n  ],\n  \"s\",\n  0,\n  -0.5,\n  100\n]",
            pretty4: "[\n    {},\n    [],\n    {\n        \"a\": []\n    },\n    [\n        [\n            {}\n        ]\n    ],\n    \"s\",\n    0,\n    -0.5,\n    100\n]",
            pyspaced: "[{}, [], {\"a\": []}, [[{}]], \"s\", 0, -0.5, 100]",
            pydefault: "[{}, [], {\"a\": []}, [[{}]], \"s\", 0, -0.5, 100]",
            ascii: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]",
            meta: "[{},[],{\"a\":[]},[[{}]],\"s\",0,-0.5,100]"
        ),
        Oracle(
            body: "{\"dup\":1,\"other\":2,\"dup\":3}",
            compact: "{\"dup\":3,\"other\":2}",
            sorted: "{\"dup\":3,\"other\":2}",
            slash: "{\"dup\":3,\"other\":2}",
            pretty2: "{\n  \"dup\": 3,\n  \"other\": 2\n}",
            pretty4: "{\n    \"dup\": 3,\n    \"other\": 2\n}",
            pyspaced: "{\"dup\": 3, \"other\": 2}",
            pydefault: "{\"dup\": 3, \"other\": 2}",
            ascii: "{\"dup\":3,\"other\":2}",
            meta: "{\"dup\":3,\"other\":2}"
        ),
        Oracle(
            body: "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":[{\"k\":\"v\",\"j\":\"w\"}]},\"B\":0,\"é\":1,\"e\":2}",
            compact: "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":[{\"k\":\"v\",\"j\":\"w\"}]},\"B\":0,\"é\":1,\"e\":2}",
            sorted: "{\"B\":0,\"a\":2,\"b\":1,\"c\":{\"y\":[{\"j\":\"w\",\"k\":\"v\"}],\"z\":1},\"e\":2,\"é\":1}",
            slash: "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":[{\"k\":\"v\",\"j\":\"w\"}]},\"B\":0,\"é\":1,\"e\":2}",
            pretty2: "{\n  \"b\": 1,\n  \"a\": 2,\n  \"c\": {\n    \"z\": 1,\n    \"y\": [\n      {\n        \"k\": \"v\",\n        \"j\": \"w\"\n      }\n    ]\n  },\n  \"B\": 0,\n  \"é\": 1,\n  \"e\": 2\n}",
            pretty4: "{\n    \"b\": 1,\n    \"a\": 2,\n    \"c\": {\n        \"z\": 1,\n        \"y\": [\n            {\n                \"k\": \"v\",\n                \"j\": \"w\"\n            }\n        ]\n    },\n    \"B\": 0,\n    \"é\": 1,\n    \"e\": 2\n}",
            pyspaced: "{\"b\": 1, \"a\": 2, \"c\": {\"z\": 1, \"y\": [{\"k\": \"v\", \"j\": \"w\"}]}, \"B\": 0, \"é\": 1, \"e\": 2}",
            pydefault: "{\"b\": 1, \"a\": 2, \"c\": {\"z\": 1, \"y\": [{\"k\": \"v\", \"j\": \"w\"}]}, \"B\": 0, \"\\u00e9\": 1, \"e\": 2}",
            ascii: "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":[{\"k\":\"v\",\"j\":\"w\"}]},\"B\":0,\"\\u00e9\":1,\"e\":2}",
            meta: "{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":[{\"k\":\"v\",\"j\":\"w\"}]},\"B\":0,\"\\u00e9\":1,\"e\":2}"
        ),
        Oracle(
            body: "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k3\":33,\"k10\":10,\"k1\":11}",
            compact: "{\"k1\":11,\"k2\":2,\"k3\":33,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}",
            sorted: "{\"k1\":11,\"k10\":10,\"k2\":2,\"k3\":33,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9}",
            slash: "{\"k1\":11,\"k2\":2,\"k3\":33,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}",
            pretty2: "{\n  \"k1\": 11,\n  \"k2\": 2,\n  \"k3\": 33,\n  \"k4\": 4,\n  \"k5\": 5,\n  \"k6\": 6,\n  \"k7\": 7,\n  \"k8\": 8,\n  \"k9\": 9,\n  \"k10\": 10\n}",
            pretty4: "{\n    \"k1\": 11,\n    \"k2\": 2,\n    \"k3\": 33,\n    \"k4\": 4,\n    \"k5\": 5,\n    \"k6\": 6,\n    \"k7\": 7,\n    \"k8\": 8,\n    \"k9\": 9,\n    \"k10\": 10\n}",
            pyspaced: "{\"k1\": 11, \"k2\": 2, \"k3\": 33, \"k4\": 4, \"k5\": 5, \"k6\": 6, \"k7\": 7, \"k8\": 8, \"k9\": 9, \"k10\": 10}",
            pydefault: "{\"k1\": 11, \"k2\": 2, \"k3\": 33, \"k4\": 4, \"k5\": 5, \"k6\": 6, \"k7\": 7, \"k8\": 8, \"k9\": 9, \"k10\": 10}",
            ascii: "{\"k1\":11,\"k2\":2,\"k3\":33,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}",
            meta: "{\"k1\":11,\"k2\":2,\"k3\":33,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}"
        ),
        Oracle(
            body: "{\"line\":\"a\\u2028b\",\"slash\":\"a/b\",\"cjk\":\"日本\"}",
            compact: "{\"line\":\"a\u{2028}b\",\"slash\":\"a/b\",\"cjk\":\"日本\"}",
            sorted: "{\"cjk\":\"日本\",\"line\":\"a\u{2028}b\",\"slash\":\"a/b\"}",
            slash: "{\"line\":\"a\u{2028}b\",\"slash\":\"a\\/b\",\"cjk\":\"日本\"}",
            pretty2: "{\n  \"line\": \"a\u{2028}b\",\n  \"slash\": \"a/b\",\n  \"cjk\": \"日本\"\n}",
            pretty4: "{\n    \"line\": \"a\u{2028}b\",\n    \"slash\": \"a/b\",\n    \"cjk\": \"日本\"\n}",
            pyspaced: "{\"line\": \"a\u{2028}b\", \"slash\": \"a/b\", \"cjk\": \"日本\"}",
            pydefault: "{\"line\": \"a\\u2028b\", \"slash\": \"a/b\", \"cjk\": \"\\u65e5\\u672c\"}",
            ascii: "{\"line\":\"a\\u2028b\",\"slash\":\"a/b\",\"cjk\":\"\\u65e5\\u672c\"}",
            meta: "{\"line\":\"a\\u2028b\",\"slash\":\"a\\/b\",\"cjk\":\"\\u65e5\\u672c\"}"
        ),
    ]

    static func write(_ body: String, _ style: ReserializableJSON.Style) -> String? {
        ReserializableJSON(Array(body.utf8)).map { String(decoding: $0.write(style), as: UTF8.self) }
    }

    @Test(arguments: oracles.indices) func writesWhatSendersLibrariesWrite(_ index: Int) {
        let o = Self.oracles[index]
        #expect(Self.write(o.body, .init()) == o.compact)
        #expect(Self.write(o.body, .init(sortedKeys: true)) == o.sorted)
        #expect(Self.write(o.body, .init(escapeSlash: true)) == o.slash)
        #expect(Self.write(o.body, .init(layout: .pretty(indent: 2, colon: ": "))) == o.pretty2)
        #expect(Self.write(o.body, .init(layout: .pretty(indent: 4, colon: ": "))) == o.pretty4)
        #expect(Self.write(o.body, .init(layout: .spaced)) == o.pyspaced)
        #expect(Self.write(o.body, .init(layout: .spaced, asciiOnly: true)) == o.pydefault)
        #expect(Self.write(o.body, .init(asciiOnly: true)) == o.ascii)
        #expect(Self.write(o.body, .init(escapeSlash: true, asciiOnly: true)) == o.meta)
    }

    @Test func foundationStylePrettyPrinting() {
        #expect(Self.write(#"{"a":[1,{}],"b":"x : y"}"#, .init(layout: .pretty(indent: 2, colon: " : ")))
            == "{\n  \"a\" : [\n    1,\n    {}\n  ],\n  \"b\" : \"x : y\"\n}")
    }

    @Test func numbersAndLiteralsAreKeptAsReceived() {
        #expect(Self.write("[1E+2, -0.50, 0, 1e-7, true, false, null]", .init()) == "[1E+2,-0.50,0,1e-7,true,false,null]")
    }

    @Test func aLoneSurrogateEscapeIsKeptAsReceived() {
        #expect(Self.write(#"{"a":"x\ud800y","b":"\u00e9"}"#, .init()) == #"{"a":"x\ud800y","b":"é"}"#)
        #expect(Self.write(#"{"a":"\udc00"}"#, .init(asciiOnly: true)) == #"{"a":"\udc00"}"#)
    }

    @Test func rejectsWhatIsNotJSON() {
        let bad = [
            "", "   ", "42", #""fragment""#, "true", "{", "[1,]", #"{"a":1,}"#, "{a:1}", "[01]", "[1.]", "[.5]", "[-]", "[1e]",
            "[+1]", #"["\x"]"#, #"["\u12"]"#, "[\"tab\there\"]", "[1] [2]", "[1]x", "[tru]", "[nul]", "{\"a\" 1}", "[1 2]",
            "\u{FEFF}[1]", "['a']", "[NaN]", "[Infinity]",
        ]
        for text in bad {
            #expect(ReserializableJSON(Array(text.utf8)) == nil, "\(text)")
        }
        // Invalid UTF-8 inside a string, and a Latin-1 body.
        #expect(ReserializableJSON([0x5B, 0x22, 0xE9, 0x22, 0x5D]) == nil)
        #expect(ReserializableJSON([0x5B, 0x22, 0xC3, 0xA9, 0x22, 0x5D]) != nil)
    }

    @Test func nestingIsBounded() {
        // Far deeper than the limit: refused without exhausting the stack.
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(ReserializableJSON(Array(deep.utf8)) == nil)
        let limit = ReserializableJSON.maxDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(ReserializableJSON(Array(atLimit.utf8)) != nil)
        let overLimit = "[" + atLimit + "]"
        #expect(ReserializableJSON(Array(overLimit.utf8)) == nil)
        // And the diagnosis of such a body still ends, with the byte-level variants only.
        #expect(Array(BodyVariants.of(Array(deep.utf8))).allSatisfy { !$0.label.contains("re-serialized") })
    }

    @Test func manyKeysWithDuplicatesKeepFirstPositionsAndLastValues() {
        var pairs = (0..<1000).map { #""k\#($0)":\#($0)"# }
        pairs += (0..<1000).map { #""k\#($0)":\#($0 + 1)"# }
        let out = Self.write("{" + pairs.joined(separator: ",") + "}", .init())
        #expect(out == "{" + (0..<1000).map { #""k\#($0)":\#($0 + 1)"# }.joined(separator: ",") + "}")
    }

    @Test func theDiagnosisOfARealWorldSenderIsTheSameEveryTime() {
        // Signed as Python's json.dumps writes it, delivered compact: explained by the same variant
        // on every call (Foundation's writer used to shuffle the keys).
        let sent = Array(#"{"zeta":1,"alpha":{"b":[1,2],"a":"café"},"mid":null}"#.utf8)
        let labels = (0..<10).map { _ in
            Array(BodyVariants.of(sent)).first { $0.bytes == Array(#"{"zeta": 1, "alpha": {"b": [1, 2], "a": "caf\u00e9"}, "mid": null}"#.utf8) }?.label
        }
        #expect(labels.allSatisfy { $0 == "re-serialized with spaces after `:` and `,` and non-ASCII escaped as \\uXXXX (Python json.dumps defaults)" })
    }
}
