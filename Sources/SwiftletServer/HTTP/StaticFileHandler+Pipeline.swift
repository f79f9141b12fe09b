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
    /// Sets up a plain (not upgradable) HTTP/1.1 server pipeline that serves static files.
    ///
    /// The handlers, head to tail:
    /// 1. `HTTPResponseEncoder`
    /// 2. `ByteToMessageHandler(HTTPRequestDecoder)` with ``Configuration/decoderLimits``, so an
    ///    oversized head fails with `HTTPParserError.headerOverflow`
    /// 3. `HTTPServerPipelineHandler` (one request at a time; required)
    /// 4. `NIOHTTPResponseHeadersValidator`
    /// 5. ``StaticFileHandler``, which answers parser errors itself (`431`/`400`), so NIO's
    ///    `HTTPServerProtocolErrorHandler` must **not** be added: both would write a response.
    ///
    /// For the broker's HTTP port, where `GET /mqtt` upgrades to WebSocket, build the same thing
    /// with `configureUpgradableHTTPServerPipeline(configuration:)` and add the handler after it:
    ///
    /// ```swift
    /// var http = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrades)
    /// http.enableErrorHandling = false                         // StaticFileHandler answers 431/400
    /// http.decoderConfiguration = staticFiles.decoderLimits    // 8 KiB heads
    /// let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: http)
    /// try channel.pipeline.syncOperations.addHandler(
    ///     StaticFileHandler(configuration: staticFiles, threadPool: pool, logger: logger)
    /// )
    /// ```
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
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withErrorHandling: false,
            withOutboundHeaderValidation: true,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: configuration.decoderLimits
        )
        try pipeline.addHandler(StaticFileHandler(configuration: configuration, threadPool: threadPool, logger: logger))
    }
}
