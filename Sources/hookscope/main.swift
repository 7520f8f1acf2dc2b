import ArgumentParser
import Foundation
import HookListen

// Entry point. Errors get one line on stderr (`hookscope: ...`) and a non-zero exit;
// `--help` and `--version` print in full and exit 0.
signal(SIGPIPE, SIG_IGN)
do {
    var command = try Hookscope.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runCommand(asyncCommand)
    } else {
        try command.run()
    }
} catch {
    // A bad flag value found once the config file was read is a usage error too; any other error
    // that is not an exit status of its own is 3, as the SPEC gives for every command.
    var code = (error as? UserError)?.isUsage == true ? ExitCode.validationFailure : Hookscope.exitCode(for: error)
    if code == .failure, !(error is ExitCode) { code = ExitCode(3) }
    if code == .success {
        print(Hookscope.fullMessage(for: error))
    } else if !(error is ExitCode) {
        let message = Hookscope.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        FileHandle.standardError.write(Data("hookscope: \(message)\n".utf8))
    }
    exit(code.rawValue)
}

func runCommand<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}
