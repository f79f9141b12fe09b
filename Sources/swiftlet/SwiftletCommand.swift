//===----------------------------------------------------------------------===//
//
// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import ArgumentParser

@main
struct SwiftletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Swiftlet: an MQTT 3.1/3.1.1/5.0 broker for chat, live rooms and browser clients.",
        discussion: """
            Run the broker with embedded defaults (MQTT on 0.0.0.0:1883, anonymous access on):

                swiftlet serve

            Load-test it, or any MQTT broker, with `swiftlet bench fanout|connections|chat`.

            Documentation: README.md and docs/ in the repository.
            """,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, DevCertCommand.self, SignCommand.self, TokenCommand.self,
            PasswdCommand.self, BenchCommand.self,
        ]
    )
}
