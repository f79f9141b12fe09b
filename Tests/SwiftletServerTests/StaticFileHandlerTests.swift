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
import NIOCore
import NIOPosix
import SwiftletServer
import Testing

@Suite("StaticFileHandler over real sockets", .timeLimit(.minutes(1)))
struct StaticFileHandlerTests {
    /// Runs `body` against a server whose root holds a small site.
    private func withSite<Result>(
        configure: (inout StaticFileHandler.Configuration) -> Void = { _ in },
        _ body: (StaticFileTestServer, StaticFileTestRoot) async throws -> Result
    ) async throws -> Result {
        let root = try StaticFileTestRoot()
        defer { root.remove() }
        try root.write("index.html", "<h1>home</h1>")
        try root.write("app.css", "body{}")
        try root.write("app.js", "console.log(1)")
        try root.write("logo.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        try root.write("data.bin", [0, 1, 2, 3])
        try root.write("docs/index.html", "<p>docs</p>")
        try root.write("docs/page.txt", "text")
        try root.makeDirectory("empty")
        try root.write(".env", "SECRET=1")
        var configuration = StaticFileHandler.Configuration(root: root.path)
        configure(&configuration)
        return try await StaticFileTestServer.with(configuration: configuration) { server in
            try await body(server, root)
        }
    }

    @Test(
        "GET serves files with type, length, validators and caching",
        arguments: [
            ("/index.html", "text/html; charset=utf-8", "no-cache", "<h1>home</h1>"),
            ("/app.css", "text/css; charset=utf-8", "public, max-age=300", "body{}"),
            ("/app.js?v=3", "text/javascript; charset=utf-8", "public, max-age=300", "console.log(1)"),
            ("/data.bin", "application/octet-stream", "public, max-age=300", "\u{0}\u{1}\u{2}\u{3}"),
            ("/docs/page.txt#frag", "text/plain; charset=utf-8", "public, max-age=300", "text"),
        ]
    )
    func getServesFiles(path: String, contentType: String, cacheControl: String, body: String) async throws {
        try await self.withSite { server, _ in
            let response = try await server.request("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.header("Content-Type") == contentType)
            #expect(response.header("Content-Length") == String(body.utf8.count))
            #expect(response.header("Cache-Control") == cacheControl)
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("ETag")?.hasPrefix("W/\"") == true)
            #expect(response.header("Last-Modified")?.hasSuffix(" GMT") == true)
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Connection") == nil)
            #expect(response.bodyText == body)
        }
    }

    @Test("a PNG comes back byte for byte")
    func binaryBody() async throws {
        try await self.withSite { server, _ in
            let response = try await server.request("GET /logo.png HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.header("Content-Type") == "image/png")
            #expect(response.body == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        }
    }

    @Test("a file larger than several chunks arrives complete")
    func largeFile() async throws {
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await self.withSite(configure: { $0.chunkSize = 16 * 1024 }) { server, root in
            try root.write("big.wasm", bytes)
            let response = try await server.request("GET /big.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.header("Content-Type") == "application/wasm")
            #expect(response.body == bytes)
        }
    }

    @Test("HEAD sends the GET fields and no body; the connection stays usable")
    func head() async throws {
        try await self.withSite { server, _ in
            try await server.connect { connection in
                try await connection.send("HEAD /app.css HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = try await connection.readHTTPResponse(expectBody: false)
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "6")
                #expect(head.header("Content-Type") == "text/css; charset=utf-8")
                // If HEAD had sent a body, it would be read as the next status line.
                try await connection.send("GET /app.css HTTP/1.1\r\nHost: x\r\n\r\n")
                let get = try await connection.readHTTPResponse()
                #expect(get.statusLine == "HTTP/1.1 200 OK")
                #expect(get.bodyText == "body{}")
                #expect(get.header("ETag") == head.header("ETag"))
            }
        }
    }

    @Test("If-None-Match answers 304 without a body for the tag, a list holding it, and *")
    func notModified() async throws {
        try await self.withSite { server, _ in
            let first = try await server.request("GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
            let etag = try #require(first.header("ETag"))
            let opaque = String(etag.dropFirst(2))  // the same tag, strong: weak comparison matches
            for value in [etag, "\"nope\", \(etag)", "*", opaque] {
                try await server.connect { connection in
                    try await connection.send("GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(value)\r\n\r\n")
                    let response = try await connection.readHTTPResponse(expectBody: false)
                    #expect(response.statusLine == "HTTP/1.1 304 Not Modified", "If-None-Match: \(value)")
                    #expect(response.header("ETag") == etag)
                    #expect(response.header("Cache-Control") == "public, max-age=300")
                    #expect(response.header("Content-Length") == nil)
                    // No body: the next response follows at once.
                    try await connection.send("HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(try await connection.readHTTPResponse(expectBody: false).status == 200)
                }
            }
            let changed = try await server.request("GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"other\"\r\n\r\n")
            #expect(changed.status == 200)
            #expect(changed.bodyText == "console.log(1)")
        }
    }

    @Test("a missing file is 404 with a short text body")
    func notFound() async throws {
        try await self.withSite { server, _ in
            let response = try await server.request("GET /missing.html HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.statusLine == "HTTP/1.1 404 Not Found")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.bodyText == "404 Not Found\n")
        }
    }

    @Test("methods other than GET and HEAD are 405 with Allow", arguments: ["POST", "PUT", "DELETE", "OPTIONS"])
    func methodNotAllowed(method: String) async throws {
        try await self.withSite { server, _ in
            try await server.connect { connection in
                try await connection.send("\(method) /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
                let response = try await connection.readHTTPResponse()
                #expect(response.status == 405)
                #expect(response.header("Allow") == "GET, HEAD")
                // The body was consumed, so the connection carries on.
                try await connection.send("GET /app.css HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readHTTPResponse().bodyText == "body{}")
            }
        }
    }

    @Test("directories: 301 to the slash form, index.html inside, 404 without an index")
    func directories() async throws {
        try await self.withSite { server, _ in
            let redirect = try await server.request("GET /docs?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(redirect.statusLine == "HTTP/1.1 301 Moved Permanently")
            #expect(redirect.header("Location") == "/docs/?x=1")
            // A path starting with "//" must not become a protocol-relative Location (another site).
            let doubleSlash = try await server.request("GET //docs HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(doubleSlash.status == 301)
            #expect(doubleSlash.header("Location") == "/docs/")

            let index = try await server.request("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(index.status == 200)
            #expect(index.header("Content-Type") == "text/html; charset=utf-8")
            #expect(index.bodyText == "<p>docs</p>")

            let rootIndex = try await server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(rootIndex.bodyText == "<h1>home</h1>")

            let absoluteForm = try await server.request("GET http://x/docs/ HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(absoluteForm.bodyText == "<p>docs</p>")

            #expect(try await server.request("GET /empty/ HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
            #expect(try await server.request("GET /app.css/ HTTP/1.1\r\nHost: x\r\n\r\n").status == 404)
        }
    }

    @Test(
        "traversal and malformed paths are 400",
        arguments: [
            "/../etc/passwd", "/%2e%2e/", "/%2E%2E/etc/passwd", "/a/%2e%2e/%2e%2e/", "/..%2f", "/docs%2fpage.txt",
            "/docs%5cpage.txt", "/docs\\page.txt", "/%00", "/%zz", "/%4", "/a%", "/%ff", "index.html",
        ]
    )
    func badPaths(path: String) async throws {
        try await self.withSite { server, _ in
            let response = try await server.request("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 400, "\(path)")
        }
    }

    @Test("symbolic links out of the root, dot files and oversized files are 404; links inside are served")
    func refusedFiles() async throws {
        let outside = try StaticFileTestRoot()
        defer { outside.remove() }
        try outside.write("secret.txt", "secret")
        try await self.withSite(configure: { $0.maxFileSize = 10 }) { server, root in
            try root.symlink("leak.txt", to: outside.path + "/secret.txt")
            try root.symlink("leakdir", to: outside.path)
            try root.symlink("alias.css", to: root.path + "/app.css")
            try root.write("big.txt", "eleven byte")
            for path in ["/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/.env", "/docs/.hidden", "/big.txt"] {
                let response = try await server.request("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(response.status == 404, "\(path)")
                #expect(!response.bodyText.contains("secret"))
            }
            #expect(try await server.request("GET /alias.css HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "body{}")
        }
    }

    @Test("a request head over the limit is 431 and the connection closes")
    func headTooLarge() async throws {
        try await self.withSite(configure: { $0.maxRequestHeadSize = 1024 }) { server, _ in
            try await server.connect { connection in
                let filler = String(repeating: "a", count: 2000)
                try await connection.send("GET /index.html HTTP/1.1\r\nHost: x\r\nX-Filler: \(filler)\r\n\r\n")
                let response = try await connection.readHTTPResponse()
                #expect(response.statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
                #expect(response.header("Connection") == "close")
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
            // A long request-target counts too.
            try await server.connect { connection in
                try await connection.send("GET /\(String(repeating: "b", count: 2000)) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readHTTPResponse().status == 431)
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
        }
    }

    @Test("a garbled request line is 400 and the connection closes")
    func parseError() async throws {
        try await self.withSite { server, _ in
            try await server.connect { connection in
                try await connection.send("GET /index.html HTTP/9.9 nonsense\r\n\r\n")
                let response = try await connection.readHTTPResponse()
                #expect(response.status == 400)
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
        }
    }

    @Test("a head that trickles in too slowly gets 408 and the connection closes")
    func slowloris() async throws {
        try await self.withSite(configure: { $0.requestHeadTimeout = .milliseconds(300) }) { server, _ in
            try await server.connect { connection in
                try await connection.send("GET /index.html HTTP/1.1\r\nHo")
                let response = try await connection.readHTTPResponse()
                #expect(response.statusLine == "HTTP/1.1 408 Request Timeout")
                #expect(response.header("Connection") == "close")
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
            // The clock restarts after each response: an idle keep-alive connection times out too.
            try await server.connect { connection in
                try await connection.send("GET /app.css HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readHTTPResponse().status == 200)
                #expect(try await connection.readHTTPResponse().status == 408)
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
        }
    }

    @Test("keep-alive: two requests on one connection, and two pipelined in one write")
    func keepAlive() async throws {
        try await self.withSite { server, _ in
            try await server.connect { connection in
                try await connection.send("GET /app.css HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readHTTPResponse().bodyText == "body{}")
                try await connection.send("GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readHTTPResponse().bodyText == "console.log(1)")
                try await connection.send(
                    "GET /docs/page.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                )
                #expect(try await connection.readHTTPResponse().bodyText == "text")
                #expect(try await connection.readHTTPResponse().status == 404)
            }
        }
    }

    @Test("Connection: close and HTTP/1.0 close after the response; HTTP/1.0 keep-alive is honoured")
    func connectionClose() async throws {
        try await self.withSite { server, _ in
            for request in [
                "GET /app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /app.css HTTP/1.0\r\n\r\n",
            ] {
                try await server.connect { connection in
                    try await connection.send(request)
                    let response = try await connection.readHTTPResponse()
                    #expect(response.bodyText == "body{}")
                    #expect(response.header("Connection") == "close")
                    #expect(try await connection.receiveUntilClosed().isEmpty)
                }
            }
            try await server.connect { connection in
                try await connection.send("GET /app.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let response = try await connection.readHTTPResponse()
                #expect(response.header("Connection") == "keep-alive")
                try await connection.send("GET /app.js HTTP/1.0\r\n\r\n")
                #expect(try await connection.readHTTPResponse().bodyText == "console.log(1)")
                #expect(try await connection.receiveUntilClosed().isEmpty)
            }
        }
    }
}
