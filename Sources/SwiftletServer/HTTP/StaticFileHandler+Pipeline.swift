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
import NIOHTTP1
import NIOPosix

extension StaticFileHandler {
    /// Sets up a plain (not upgradable) HTTP/1.1 server pipeline that serves static files:
    /// `configureSwiftletHTTPServer(maxRequestHeadSize:logger:)` (NIOHTTP1's encoder and decoder
    /// with the head limit, one request at a time, header validation, no protocol error handler:
    /// this handler answers parser errors and Host refusals itself, `431`/`400`; then the Host
    /// check), then ``StaticFileHandler``.
    ///
    /// For the broker's HTTP port, where `GET /mqtt` upgrades to WebSocket, `HTTPListener` passes
    /// the upgrader as `upgrade:` to the same function and adds the handler after it.
    ///
    /// The handler must be in the pipeline from the start (not added by the not-upgrading
    /// completion handler): its head timer must run before the first request head arrives, and it
    /// must see parse errors of the first head. On `HTTPServerUpgradeEvents.upgradeComplete` it
    /// removes itself before the upgrader replays buffered bytes, so WebSocket handlers added by
    /// the upgrader never meet it.
    ///
    /// - Important: Call on the channel's event loop, e.g. in a `childChannelInitializer`.
    /// - Parameters:
    ///   - pipeline: The child channel's pipeline.
    ///   - configuration: The web root and limits.
    ///   - threadPool: A running pool for file system calls, e.g. `NIOThreadPool.singleton`.
    ///   - logger: For refused requests and I/O failures.
    package static func configure(
        pipeline: ChannelPipeline.SynchronousOperations,
        configuration: Configuration,
        threadPool: NIOThreadPool,
        logger: Logger
    ) throws {
        try pipeline.configureSwiftletHTTPServer(maxRequestHeadSize: configuration.maxRequestHeadSize, logger: logger)
        try pipeline.addHandler(StaticFileHandler(configuration: configuration, threadPool: threadPool, logger: logger))
    }
}
