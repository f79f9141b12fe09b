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
import NIOCore
import SwiftletServer
import Testing

@Suite("HTTPHeadTimeoutStateMachine")
struct StaticFileHeadTimeoutTests {
    private static func at(_ seconds: Int64) -> NIODeadline {
        .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000)
    }

    @Test("a connection that sends no head in time gets 408")
    func silentConnection() {
        var machine = HTTPHeadTimeoutStateMachine(timeout: .seconds(10))
        #expect(machine.connectionActive(now: Self.at(100)) == .scheduleTimer(deadline: Self.at(110)))
        #expect(machine.connectionActive(now: Self.at(101)) == .none)
        #expect(machine.timerFired(now: Self.at(110)) == .sendRequestTimeoutAndClose)
        #expect(machine.timerFired(now: Self.at(111)) == .none)
        #expect(machine.connectionClosed() == .none)
    }

    @Test("a head in time disarms the deadline without cancelling the timer")
    func headInTime() {
        var machine = HTTPHeadTimeoutStateMachine(timeout: .seconds(10))
        _ = machine.connectionActive(now: Self.at(0))
        #expect(machine.requestHeadReceived() == .none)
        // The response takes a while; the stale timer finds nothing to do.
        #expect(machine.timerFired(now: Self.at(10)) == .none)
        #expect(machine.responseCompleted(now: Self.at(12), keepAlive: true) == .scheduleTimer(deadline: Self.at(22)))
        #expect(machine.timerFired(now: Self.at(22)) == .sendRequestTimeoutAndClose)
    }

    @Test("a pending timer that fires before the moved deadline reschedules for the rest")
    func lazyReschedule() {
        var machine = HTTPHeadTimeoutStateMachine(timeout: .seconds(10))
        #expect(machine.connectionActive(now: Self.at(0)) == .scheduleTimer(deadline: Self.at(10)))
        _ = machine.requestHeadReceived()
        // The response ends while the first timer is still pending: no second timer.
        #expect(machine.responseCompleted(now: Self.at(3), keepAlive: true) == .none)
        #expect(machine.timerFired(now: Self.at(10)) == .scheduleTimer(deadline: Self.at(13)))
        #expect(machine.timerFired(now: Self.at(13)) == .sendRequestTimeoutAndClose)
    }

    @Test("closing, or a response without keep-alive, cancels the pending timer")
    func close() {
        var machine = HTTPHeadTimeoutStateMachine(timeout: .seconds(10))
        _ = machine.connectionActive(now: Self.at(0))
        _ = machine.requestHeadReceived()
        #expect(machine.responseCompleted(now: Self.at(1), keepAlive: false) == .cancelTimer)
        #expect(machine.timerFired(now: Self.at(10)) == .none)

        var other = HTTPHeadTimeoutStateMachine(timeout: .seconds(10))
        _ = other.connectionActive(now: Self.at(0))
        #expect(other.connectionClosed() == .cancelTimer)
        #expect(other.connectionClosed() == .none)
        #expect(other.responseCompleted(now: Self.at(1), keepAlive: true) == .none)
    }
}

@Suite("StaticFileRequestTarget")
struct StaticFileRequestTargetTests {
    @Test(
        "accepted targets",
        arguments: [
            ("/", [String](), true),
            ("/index.html", ["index.html"], false),
            ("/a/b/", ["a", "b"], true),
            ("//a/./b", ["a", "b"], false),
            ("/a/.", ["a"], true),
            ("/caf%C3%A9.txt?q=%zz#x", ["café.txt"], false),
            ("/with%20space", ["with space"], false),
            ("/a..b", ["a..b"], false),
            ("http://host:8080/x", ["x"], false),
            ("HTTPS://host", [], true),
        ]
    )
    func accepted(uri: String, segments: [String], isDirectoryForm: Bool) throws {
        let target = try StaticFileRequestTarget(uri: uri)
        #expect(target.segments == segments)
        #expect(target.isDirectoryForm == isDirectoryForm)
    }

    @Test("query and raw path are kept for redirects")
    func rawParts() throws {
        let target = try StaticFileRequestTarget(uri: "/d%69r?a=1&b#frag")
        #expect(target.rawPath == "/d%69r")
        #expect(target.rawQuery == "a=1&b")
        #expect(target.segments == ["dir"])
    }

    @Test(
        "a redirect to the slash form stays on this site",
        arguments: [
            ("/docs?x=1", "/docs/?x=1"),
            // FuzzTesting/FailCases/http-request-head: "//sub" redirected to "//sub/", another host.
            ("//sub", "/sub/"),
            ("//evil.example/docs", "/evil.example/docs/"),
            ("http://x//evil.example/docs", "/evil.example/docs/"),
            ("/./docs", "/docs/"),
            ("/a%20b/%7Euser/caf%C3%A9", "/a%20b/~user/caf%C3%A9/"),
            ("/a%3Fb%23c", "/a%3Fb%23c/"),
            ("/docs?a=%20b&c=d e\t<>", "/docs/?a=%20b&c=d%20e%09%3C%3E"),
        ]
    )
    func redirectLocation(uri: String, location: String) throws {
        #expect(try StaticFileRequestTarget(uri: uri).redirectLocation == location)
    }

    @Test(
        "400 targets",
        arguments: [
            "", "*", "index.html", "/..", "/../x", "/a/../b", "/%2e%2e", "/%2E%2e/", "/.%2e/", "/a/%2e%2e/%2e%2e/",
            "/..%2f", "/a%2Fb", "/a%5cb", "/a\\b", "/%00", "/a%0", "/%g0", "/%", "/%c3", "/%ff",
        ]
    )
    func badRequest(uri: String) {
        #expect(throws: StaticFileRequestTarget.Rejection.self) {
            try StaticFileRequestTarget(uri: uri)
        }
        do {
            _ = try StaticFileRequestTarget(uri: uri)
        } catch {
            guard case .badRequest = error else {
                Issue.record("\(uri): \(error)")
                return
            }
        }
    }

    @Test("dot files are 404", arguments: ["/.env", "/.git/config", "/a/.hidden", "/%2egit/"])
    func dotFiles(uri: String) {
        #expect(throws: StaticFileRequestTarget.Rejection.notFound) {
            try StaticFileRequestTarget(uri: uri)
        }
    }
}

@Suite("Static file metadata")
struct StaticFileMetadataTests {
    @Test(
        "IMF-fixdate",
        arguments: [
            (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_767_225_599, "Wed, 31 Dec 2025 23:59:59 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (-5, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ]
    )
    func httpDate(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }

    @Test("If-None-Match: weak comparison, lists, *, malformed members")
    func ifNoneMatch() {
        let tag = EntityTag(fileSize: 6, modificationSeconds: 0x10, modificationNanoseconds: 0x20)
        #expect(tag.fieldValue == "W/\"6-10.20\"")
        #expect(tag.matches(ifNoneMatch: ["W/\"6-10.20\""]))
        #expect(tag.matches(ifNoneMatch: ["\"6-10.20\""]))
        #expect(tag.matches(ifNoneMatch: ["\"a\", W/\"6-10.20\""]))
        #expect(tag.matches(ifNoneMatch: ["\"a\"", "\"b\",\t\"6-10.20\""]))
        #expect(tag.matches(ifNoneMatch: ["*"]))
        #expect(!tag.matches(ifNoneMatch: []))
        #expect(!tag.matches(ifNoneMatch: ["\"6-10.2\""]))
        #expect(!tag.matches(ifNoneMatch: ["6-10.20"]))
        #expect(!tag.matches(ifNoneMatch: ["\"6-10.20"]))
        #expect(!tag.matches(ifNoneMatch: ["junk, W/\"6-10.20\""]))
        #expect(EntityTag(opaqueTag: "a,b", isWeak: false).matches(ifNoneMatch: ["\"x\", \"a,b\""]))
    }

    @Test(
        "Content-Type by extension",
        arguments: [
            ("index.html", "text/html; charset=utf-8"), ("a.CSS", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"), ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.json", "application/json"), ("a.png", "image/png"), ("a.jpg", "image/jpeg"),
            ("a.jpeg", "image/jpeg"), ("a.gif", "image/gif"), ("a.svg", "image/svg+xml"),
            ("favicon.ico", "image/vnd.microsoft.icon"), ("a.webp", "image/webp"), ("a.woff2", "font/woff2"),
            ("a.txt", "text/plain; charset=utf-8"), ("a.js.map", "application/json"),
            ("a.wasm", "application/wasm"), ("Makefile", "application/octet-stream"),
            ("a.exe", "application/octet-stream"),
        ]
    )
    func contentType(fileName: String, expected: String) {
        #expect(StaticFileMediaType.contentType(forFileName: fileName) == expected)
    }

    @Test("containment compares bytes and whole components")
    func containment() {
        #expect(StaticFileResolver.isInside("/srv/web", root: "/srv/web"))
        #expect(StaticFileResolver.isInside("/srv/web/a", root: "/srv/web"))
        #expect(!StaticFileResolver.isInside("/srv/website/a", root: "/srv/web"))
        #expect(!StaticFileResolver.isInside("/srv", root: "/srv/web"))
        #expect(StaticFileResolver.isInside("/etc/passwd", root: "/"))
        #expect(!StaticFileResolver.isInside("/srv/cafe\u{301}/a", root: "/srv/caf\u{E9}"))
    }
}
