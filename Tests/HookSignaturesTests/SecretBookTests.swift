import Foundation
import HookCore
import Testing
@testable import HookSignatures

@Suite struct SecretBookTests {
    @Test func parseFlagAcceptsKnownAndCustomIDs() throws {
        let parsed = try SecretBook.parseFlag("stripe=whsec_abc=def")
        #expect(parsed.provider == "stripe")
        #expect(parsed.secret == "whsec_abc=def")
        #expect(try SecretBook.parseFlag("GitHub=x").provider == "github")
        #expect(try SecretBook.parseFlag("acme=s3cret", extraIDs: ["acme"]).provider == "acme")
    }

    @Test(arguments: ["stripe", "nosuch=hunter2hunter2", "=hunter2hunter2", "stripe="])
    func parseFlagRejectsBadValuesWithoutEchoingTheSecret(_ value: String) {
        do {
            _ = try SecretBook.parseFlag(value)
            Issue.record("expected an error for \(value)")
        } catch let error as SecretError {
            #expect(!error.description.contains("hunter2"))
            #expect(!error.description.contains("\n"))
            #expect(!error.description.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func unknownProviderListsKnownIDs() {
        #expect(throws: SecretError.self) { try SecretBook.parseFlag("acme=x") }
        let message = (try? SecretBook.parseFlag("acme=x")).map { _ in "" } ?? {
            do { _ = try SecretBook.parseFlag("acme=x"); return "" } catch { return "\(error)" }
        }()
        #expect(message.contains("unknown provider 'acme'"))
        #expect(message.contains("stripe"))
    }

    @Test func environmentWithRotationSuffixes() {
        let env = [
            "HOOKSCOPE_SECRET_STRIPE": "whsec_one", "HOOKSCOPE_SECRET_STRIPE_2": "whsec_two",
            "HOOKSCOPE_SECRET_GITHUB_3": "gh3", "HOOKSCOPE_SECRET_ACME": "acme-secret", "OTHER": "x",
        ]
        let book = SecretBook.fromEnvironment(env, knownIDs: ProviderCatalog.ids + ["acme"])
        #expect(book.secrets(for: "stripe") == ["whsec_one", "whsec_two"])
        #expect(book.secrets(for: "github") == ["gh3"])
        #expect(book.secrets(for: "acme") == ["acme-secret"])
        #expect(book.secrets(for: "slack").isEmpty)
        #expect(SecretBook.environmentVariable(for: "my-scheme") == "HOOKSCOPE_SECRET_MY_SCHEME")
    }

    @Test func mergingKeepsReceiverFirst() {
        let flags = SecretBook([("stripe", "from_flag"), ("github", "gh")])
        let env = SecretBook([("stripe", "from_env"), ("stripe", "from_flag"), ("slack", "sl")])
        let merged = flags.merging(env)
        #expect(merged.secrets(for: "stripe") == ["from_flag", "from_env"])
        #expect(merged.secrets(for: "slack") == ["sl"])
        #expect(merged.secrets(for: "github") == ["gh"])
    }

    @Test func masking() {
        #expect(maskSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == "whsec_…LaSw")
        #expect(maskSecret("pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh") == "pdl_ntf_…9jzh")
        #expect(maskSecret("8f742231b10e8888abcd99yyyzzz85a5") == "…85a5")
        #expect(maskSecret("short") == "(5 chars)")
    }

    @Test func noReportLineContainsAConfiguredSecret() {
        let secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a-fairly-long-signing-secret-1234"]
        for fixture in SignedFixture.all {
            let book = SecretBook(secrets.map { (fixture.provider, $0) } + [(fixture.provider, fixture.secret)])
            for body in [fixture.body, fixture.body + "\n"] {
                let report = SignatureVerifier(secrets: book).verify(fixture.request(body: body))
                for secret in secrets + (fixture.provider == "discord" ? [] : [fixture.secret]) {
                    #expect(!report.text.contains(secret), "\(fixture.provider) leaks a secret")
                    #expect(!report.summary.detail.contains(secret))
                }
            }
        }
    }
}
