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
import Foundation
import Logging
import NIOCore
import NIOPosix
import SwiftletServer

/// A temporary web root, removed by `remove()`.
struct StaticFileTestRoot {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        self.path = base + "/swiftlet-static-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    func write(_ relativePath: String, _ contents: String) throws {
        try self.write(relativePath, Array(contents.utf8))
    }

    func write(_ relativePath: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: self.path + "/" + relativePath)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(bytes).write(to: url)
    }

    func makeDirectory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(atPath: self.path + "/" + relativePath, withIntermediateDirectories: true)
    }

    func symlink(_ relativePath: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: self.path + "/" + relativePath, withDestinationPath: destination)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// A response as it came off the wire.
struct StaticFileTestResponse {
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var status: Int { Int(self.statusLine.split(separator: " ")[1]) ?? 0 }

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: self.body, as: UTF8.self) }
}

/// A static file server on 127.0.0.1 with an ephemeral port, its own loop and thread pool.
///
/// Real sockets rather than `EmbeddedChannel`: `NonBlockingFileIO` completes its futures from the
/// pool's threads, which an `EmbeddedEventLoop` does not support.
struct StaticFileTestServer {
    let group: MultiThreadedEventLoopGroup
    let threadPool: NIOThreadPool
    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    static func with<Result>(
        configuration: StaticFileHandler.Configuration,
        _ body: (StaticFileTestServer) async throws -> Result
    ) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        var logger = Logger(label: "test.static")
        logger.logLevel = .critical
        let server: StaticFileTestServer
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { [logger] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try StaticFileHandler.configure(
                            pipeline: channel.pipeline.syncOperations,
                            configuration: configuration,
                            threadPool: threadPool,
                            logger: logger
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            server = StaticFileTestServer(group: group, threadPool: threadPool, channel: channel)
        } catch {
            try await threadPool.shutdownGracefully()
            try await group.shutdownGracefully()
            throw error
        }
        let result: Result
        do {
            result = try await body(server)
        } catch {
            try? await server.channel.close()
            try await threadPool.shutdownGracefully()
            try await group.shutdownGracefully()
            throw error
        }
        try? await server.channel.close()
        try await threadPool.shutdownGracefully()
        try await group.shutdownGracefully()
        return result
    }

    /// Opens one connection and runs `body` with it.
    func connect<Result>(_ body: (inout RawMQTTConnection) async throws -> Result) async throws -> Result {
        try await RawMQTTConnection.with(port: self.port, group: self.group, body)
    }

    /// Sends one request on a new connection and reads one response.
    func request(_ raw: String, expectBody: Bool = true) async throws -> StaticFileTestResponse {
        try await self.connect { connection in
            try await connection.send(raw)
            return try await connection.readHTTPResponse(expectBody: expectBody)
        }
    }
}

/// Reading HTTP/1.1 responses off a raw connection.
extension RawMQTTConnection {
    func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    /// Reads one response: the head, then `Content-Length` bytes of body if `expectBody`.
    mutating func readHTTPResponse(expectBody: Bool = true) async throws -> StaticFileTestResponse {
        var head: [UInt8] = []
        while !head.ends(with: [13, 10, 13, 10]) {
            let byte = try await self.receive(1)
            guard !byte.isEmpty else { throw StaticFileTestError.closedBeforeResponse(partial: head) }
            head += byte
        }
        let lines = String(decoding: head.dropLast(4), as: UTF8.self).components(separatedBy: "\r\n")
        var response = StaticFileTestResponse(statusLine: lines[0], headers: [], body: [])
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            )
        }
        if expectBody, let length = response.header("Content-Length").flatMap(Int.init), length > 0 {
            response.body = try await self.receive(length)
        }
        return response
    }
}

enum StaticFileTestError: Error {
    case closedBeforeResponse(partial: [UInt8])
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        self.count >= suffix.count && Array(self.suffix(suffix.count)) == suffix
    }
}
