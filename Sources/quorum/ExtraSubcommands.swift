import ArgumentParser

/// Commands that live in their own files and modules, listed here so the root command stays short.
let extraSubcommands: [any ParsableCommand.Type] = [SimulateCommand.self, ImportCommand.self, ImportCommentsCommand.self, TokenCommand.self, BenchCommand.self]
