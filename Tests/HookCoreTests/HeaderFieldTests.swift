import Foundation
import Testing
@testable import HookCore

/// Header name matching: ASCII case-insensitive, every other byte compared exactly.
@Suite struct HeaderFieldTests {
    @Test func namesMatchIgnoringASCIICase() {
        let field = HeaderField("Stripe-Signature", "t=1,v1=abc")
        for name in ["Stripe-Signature", "stripe-signature", "STRIPE-SIGNATURE", "sTrIpE-sIgNaTuRe"] {
            #expect(field.hasName(name), "\(name)")
        }
        // Short names (small strings) and long ones (heap storage) alike.
        #expect(HeaderField("HOST", "x").hasName("host"))
        #expect(HeaderField("X-Twilio-Email-Event-Webhook-Signature", "x").hasName("x-twilio-email-event-webhook-signature"))
        #expect(HeaderField("", "x").hasName(""))
    }

    @Test func differentNamesDoNotMatch() {
        let field = HeaderField("Stripe-Signature", "x")
        for name in ["Stripe-Signatur", "Stripe-Signatures", "Stripe_Signature", "Stripe-Signaturf", "", "X-Stripe-Signature"] {
            #expect(!field.hasName(name), "\(name)")
        }
        // Only A–Z fold: the bytes 0x20 apart outside the letters stay distinct.
        #expect(!HeaderField("X@", "x").hasName("x`"))
        #expect(!HeaderField("X[", "x").hasName("x{"))
        #expect(!HeaderField("X^", "x").hasName("x~"))
        #expect(!HeaderField("x`", "x").hasName("X@"))
        #expect(!HeaderField("1", "x").hasName("\u{11}"))
    }

    @Test func nonASCIINamesAreNotFolded() {
        // Names are tokens (ASCII) on the wire, but stored names are compared byte for byte beyond ASCII.
        #expect(HeaderField("X-Ünïcode", "x").hasName("x-Ünïcode"))
        #expect(!HeaderField("X-Ünïcode", "x").hasName("x-ünïcode"))
        #expect(!HeaderField("X-É", "x").hasName("x-é"))
        // No Unicode folding or normalization: K (U+212A KELVIN SIGN) is not k, é precomposed is not e + U+0301.
        #expect(!HeaderField("\u{212A}", "x").hasName("k"))
        #expect(!HeaderField("\u{212A}", "x").hasName("K"))
        #expect(!HeaderField("X-\u{E9}", "x").hasName("X-e\u{301}"))
        // The same bytes match.
        #expect(HeaderField("X-e\u{301}", "x").hasName("x-e\u{301}"))
    }

    @Test func lookupsUseTheFirstOrEveryMatchInOrder() {
        let headers = [
            HeaderField("Host", "a"), HeaderField("x-dup", "1"), HeaderField("Other", "b"), HeaderField("X-DUP", "2"),
        ]
        #expect(headers.first(named: "X-Dup")?.rawValue == Array("1".utf8))
        #expect(headers.value(named: "HOST") == "a")
        #expect(headers.all(named: "x-Dup").map(\.value) == ["1", "2"])
        #expect(headers.first(named: "missing") == nil)
        #expect(headers.all(named: "missing").isEmpty)
    }

    @Test func tokenNamesAreRFC9110Tchars() {
        for name in ["X-Ok", "content-length", "a!#$%&'*+-.^_`|~9"] {
            #expect(HeaderField(name, "v").hasTokenName, "\(name)")
        }
        for name in ["", "Bad Name", "a(b", "a:b", "caf\u{E9}", "a\tb", "a\u{7F}"] {
            #expect(!HeaderField(name, "v").hasTokenName, "\(name)")
        }
    }
}
