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
import Logging
import NIOCore

/// The logger of one connection: every line carries the connection's `remote` address and, once
/// CONNECT named it, its `client.id`.
///
/// The metadata is built only when a line is actually logged. Storing it in a `Logger` copy per
/// connection cost each idle connection about 0.7 KiB (a copied logger storage, a metadata
/// dictionary, the remote address rendered as a string, and `StreamLogHandler`'s pre-rendered
/// metadata string), which is more than a tenth of what an idle connection needs in all. A
/// value of this type only holds references the connection keeps anyway.
struct ConnectionLogger {
    let base: Logger
    let remoteAddress: SocketAddress?
    let clientID: String

    func debug(
        _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        log(level: .debug, message(), metadata: metadata(), file: file, function: function, line: line)
    }

    func info(
        _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        log(level: .info, message(), metadata: metadata(), file: file, function: function, line: line)
    }

    func error(
        _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        log(level: .error, message(), metadata: metadata(), file: file, function: function, line: line)
    }

    func log(
        level: Logger.Level,
        _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        // Checked first so that lines below the log level cost no metadata at all.
        guard base.logLevel <= level else { return }
        var all: Logger.Metadata = [:]
        if let remoteAddress { all["remote"] = "\(remoteAddress)" }
        if !clientID.isEmpty { all["client.id"] = "\(clientID)" }
        if let metadata = metadata() { all.merge(metadata) { _, given in given } }
        base.log(level: level, message(), metadata: all, file: file, function: function, line: line)
    }
}
