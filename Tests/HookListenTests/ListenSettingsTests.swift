import Foundation
import HookCore
import Testing

@testable import HookListen

@Suite struct ListenSettingsTests {
    let environment = ["HOME": "/home/u", "XDG_DATA_HOME": "/data", "XDG_STATE_HOME": "/state"]

    func config(_ text: String) throws -> ConfigFile {
        try ConfigFile.parse(text, path: "c.toml")
    }

    @Test func defaultsWhenNothingIsGiven() throws {
        let settings = try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: ConfigFile())
        #expect(settings.listener.host == "127.0.0.1")
        #expect(settings.listener.port == 9777)
        #expect(settings.listener.response.status == 200)
        #expect(settings.listener.delay == .zero)
        #expect(settings.storage == .sqlite(path: "/data/hookscope/captures.sqlite"))
        #expect(settings.keep == nil)
        #expect(settings.handshakes)
        #expect(!settings.wantsLines)
        #expect(settings.exportDirectory == "/state/hookscope/exports")
    }

    @Test func flagsWinOverTheConfigFileWhichWinsOverDefaults() throws {
        let file = try config("""
            port = 1000
            delay = 250
            status = 202
            keep = 9
            response_headers = ["X-From: config"]
            response_body = "from config"
            replay_to = "http://127.0.0.1:3000/config"
            handshakes = false
            """)
        var flags = ListenFlags()
        flags.port = 2000
        flags.status = 201
        flags.responseHeaders = ["X-From: flag"]
        let settings = try ListenSettings.resolve(flags: flags, environment: environment, config: file)
        #expect(settings.listener.port == 2000)
        #expect(settings.listener.response.status == 201)
        #expect(settings.listener.response.headers == [HeaderField("X-From", "flag")])
        #expect(settings.listener.response.body == Data("from config".utf8))
        #expect(settings.listener.delay == .milliseconds(250))
        #expect(settings.keep == 9)
        #expect(settings.replayTo == "http://127.0.0.1:3000/config")
        #expect(!settings.handshakes)
    }

    @Test func theStoreIsMemoryOrAFile() throws {
        var flags = ListenFlags()
        flags.db = "~/x.sqlite"
        #expect(try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile()).storage
            == .sqlite(path: NSHomeDirectory() + "/x.sqlite"))
        // `memory = true` in the file gives way to an explicit --db.
        #expect(try ListenSettings.resolve(flags: flags, environment: environment, config: config("memory = true")).storage
            == .sqlite(path: NSHomeDirectory() + "/x.sqlite"))
        #expect(try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: config("memory = true")).storage == .memory)
        #expect(try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: config("db = \"/c/db.sqlite\"")).storage
            == .sqlite(path: "/c/db.sqlite"))
    }

    /// A bad value is named as the user gave it: the flag (a usage error) or the config file's key.
    @Test(arguments: [
        ("--port", "port = 70000", "port must be between 0 and 65535, not 70000"),
        ("--status", "status = 42", "status must be an HTTP status between 100 and 599, not 42"),
        ("--delay", "delay = -5", "delay must be between 0 and 3600000 milliseconds (one hour), not -5"),
        ("--max-body", "max_body = -1", "max_body must be 0 or more bytes, not -1"),
        ("--keep", "keep = 0", "keep must be at least 1, not 0"),
        ("--response-header", "response_headers = [\"nocolon\"]", "response_headers must look like 'Name: value', not 'nocolon'"),
    ])
    func badValuesNameTheirSource(flag: String, configLine: String, configMessage: String) throws {
        let fromConfig = #expect(throws: UserError.self) {
            try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: config(configLine))
        }
        #expect(fromConfig?.description == configMessage)
        #expect(fromConfig?.isUsage == false)

        var flags = ListenFlags()
        switch flag {
        case "--port": flags.port = 70000
        case "--status": flags.status = 42
        case "--delay": flags.delay = -5
        case "--max-body": flags.maxBody = -1
        case "--keep": flags.keep = 0
        default: flags.responseHeaders = ["nocolon"]
        }
        let fromFlag = #expect(throws: UserError.self) {
            try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        }
        #expect(fromFlag?.isUsage == true)
        #expect(fromFlag?.description.hasPrefix(flag + " ") == true, "\(fromFlag?.description ?? "")")
    }

    /// What the command checks before it reads the config file: the flags' values only.
    @Test func checkingTheFlagsAloneReportsOnlyFlagErrors() throws {
        var flags = ListenFlags()
        flags.keep = 0
        #expect(throws: UserError("--keep must be at least 1, not 0", usage: true)) { try ListenSettings.checkFlags(flags) }
        // A secret for an unknown provider is not a flag value error; resolve reports it.
        flags = ListenFlags()
        flags.secrets = ["nosuchprovider=x"]
        try ListenSettings.checkFlags(flags)
        try ListenSettings.checkFlags(ListenFlags())
    }

    /// `forward_to` is a setting of the config file as `replay_to` is; the flag wins over it.
    @Test func forwardToComesFromTheConfigFileToo() throws {
        let file = try config("forward_to = \"http://127.0.0.1:3000/hooks\"\n")
        var flags = ListenFlags()
        flags.proxyResponse = true
        try ListenSettings.checkFlags(flags)
        let settings = try ListenSettings.resolve(flags: flags, environment: environment, config: file)
        #expect(settings.forwardTo == "http://127.0.0.1:3000/hooks")
        #expect(settings.proxyResponse)
        flags.forwardTo = "http://127.0.0.1:4000"
        #expect(try ListenSettings.resolve(flags: flags, environment: environment, config: file).forwardTo == "http://127.0.0.1:4000")
        let bad = try config("forward_to = \"ftp://example.com\"\n")
        #expect(throws: UserError.self) { try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: bad) }
        do {
            _ = try ListenSettings.resolve(flags: ListenFlags(), environment: environment, config: bad)
        } catch let error as UserError {
            #expect(error.description.hasPrefix("forward_to: "))
            #expect(!error.isUsage)
        }
    }

    @Test func optionsThatExcludeOrNeedEachOther() throws {
        var flags = ListenFlags()
        flags.proxyResponse = true
        #expect(throws: UserError("--proxy-response needs --forward-to (or forward_to in the config file)", usage: true)) {
            try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        }
        flags = ListenFlags()
        flags.memory = true
        flags.db = "/tmp/x.sqlite"
        #expect(throws: UserError("--memory and --db exclude each other", usage: true)) {
            try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        }
        flags = ListenFlags()
        flags.forwardTo = "ftp://example.com/"
        let error = #expect(throws: UserError.self) {
            try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        }
        #expect(error?.description.hasPrefix("--forward-to: ") == true)
    }

    @Test func secretsComeFromFlagsEnvironmentAndConfig() throws {
        var flags = ListenFlags()
        flags.secrets = ["stripe=from_flag"]
        var environment = self.environment
        environment["HOOKSCOPE_SECRET_GITHUB"] = "from_env"
        let settings = try ListenSettings.resolve(
            flags: flags, environment: environment, config: config("[secrets]\nslack = \"from_config\"\nstripe = \"second\""))
        #expect(settings.verifier.secrets.secrets(for: "stripe") == ["from_flag", "second"])
        #expect(settings.verifier.secrets.secrets(for: "github") == ["from_env"])
        #expect(settings.verifier.secrets.secrets(for: "slack") == ["from_config"])

        flags.secrets = ["nosuchprovider=x"]
        let error = #expect(throws: UserError.self) {
            try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        }
        #expect(error?.description.hasPrefix("--secret: ") == true)
        #expect(error?.description.contains("nosuchprovider") == true)
    }

    @Test func headlessOrJSONAskForLines() throws {
        var flags = ListenFlags()
        flags.json = true
        let settings = try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile())
        #expect(settings.wantsLines && settings.json)
        flags = ListenFlags()
        flags.headless = true
        #expect(try ListenSettings.resolve(flags: flags, environment: environment, config: ConfigFile()).wantsLines)
    }
}
