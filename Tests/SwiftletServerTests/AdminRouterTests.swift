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
import Testing

@testable import SwiftletServer

@Suite("Admin API router")
struct AdminRouterTests {
    @Test(
        "routes resolve by method and path",
        arguments: [
            ("GET", "/healthz", AdminEndpoint.health),
            ("GET", "/metrics", .metrics),
            ("POST", "/api/v1/publish", .publish),
            ("POST", "/api/v1/p2p", .p2p),
            ("POST", "/api/v1/tokens", .issueToken),
            ("GET", "/api/v1/clients", .listClients),
            ("GET", "/api/v1/clients/alice", .showClient),
            ("DELETE", "/api/v1/clients/alice", .kickClient),
            ("GET", "/api/v1/rooms", .listRooms),
            ("GET", "/api/v1/stats", .stats),
            ("HEAD", "/api/v1/stats", .stats),
        ]
    )
    func resolves(method: String, path: String, endpoint: AdminEndpoint) throws {
        guard case .matched(let route, _) = AdminRouter.match(method: method, path: path) else {
            Issue.record("\(method) \(path) did not match")
            return
        }
        #expect(route.endpoint == endpoint)
    }

    @Test("every endpoint has exactly one route")
    func everyEndpointRouted() {
        for endpoint in AdminEndpoint.allCases {
            #expect(AdminRouter.routes.filter { $0.endpoint == endpoint }.count == 1, "\(endpoint)")
        }
    }

    @Test("only /api/v1 needs credentials")
    func authentication() {
        for route in AdminRouter.routes {
            #expect(route.requiresAuthentication == route.pattern.hasPrefix("/api/v1/"))
        }
        #expect(AdminRouter.routes.filter { !$0.requiresAuthentication }.map(\.pattern) == ["/healthz", "/metrics"])
    }

    @Test("path parameters are percent-decoded, and may hold an encoded slash")
    func percentDecoding() {
        let match = AdminRouter.match(method: "GET", path: "/api/v1/clients/grp%40%40%40dev%2F1%20x")
        guard case .matched(_, let parameters) = match else {
            Issue.record("no match: \(match)")
            return
        }
        #expect(parameters["clientId"] == "grp@@@dev/1 x")
        #expect(AdminRouter.match(method: "GET", path: "/api/v1/clients/bad%zz") == .badPath)
        #expect(AdminRouter.match(method: "GET", path: "/api/v1/clients/%FF") == .badPath)
    }

    @Test("unknown paths are 404, known paths with another method 405 with the allowed ones")
    func misses() {
        #expect(AdminRouter.match(method: "GET", path: "/nope") == .notFound)
        #expect(AdminRouter.match(method: "GET", path: "/api/v1/clients/") == .notFound)
        #expect(AdminRouter.match(method: "GET", path: "/api/v1/clients/a/b") == .notFound)
        #expect(AdminRouter.match(method: "GET", path: "/api/v1/publish") == .methodNotAllowed(allowed: ["POST"]))
        #expect(
            AdminRouter.match(method: "PUT", path: "/api/v1/clients/x")
                == .methodNotAllowed(allowed: ["GET", "DELETE", "HEAD"]))
    }

    @Test("targets split into path and query; query items decode")
    func queries() {
        let (path, query) = AdminRouter.split(target: "/api/v1/clients?page=2&limit=10&group=a%2Bb&x#frag")
        #expect(path == "/api/v1/clients")
        let items = AdminRouter.queryItems(query)
        #expect(items == ["page": "2", "limit": "10", "group": "a+b", "x": ""])
        #expect(AdminRouter.split(target: "/healthz").query == nil)
    }
}
