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
import NIOHTTP1
import SwiftletAuth
import SwiftletBroker
import SwiftletMQTT

/// The admin API's behaviour, independent of the socket: a request in, a response out
/// (docs/admin-api.md). ``AdminHTTPHandler`` reads requests off the wire and writes what this
/// answers; tests call ``respond(to:on:)`` directly.
package final class AdminAPI: Sendable {
    /// Largest request body accepted: 1 MiB. Larger ones get 413.
    package static let maxBodySize = 1 << 20
    /// Most clients one page lists.
    package static let maxPageSize = 1000

    let broker: Broker
    let authenticator: AdminAuthenticator
    let metrics: AdminMetrics
    /// What the memory trimmer did, for `/metrics` and `/api/v1/stats`; nil when it is off.
    let memoryTrimmer: MemoryTrimmer?
    let logger: Logger
    /// Unix milliseconds; a parameter so that tests can check stale signatures.
    let clock: @Sendable () -> UInt64

    package init(
        broker: Broker, adminToken: String?, memoryTrimmer: MemoryTrimmer? = nil, logger: Logger,
        clock: @escaping @Sendable () -> UInt64 = { WallClock.milliseconds() }
    ) {
        self.broker = broker
        self.authenticator = AdminAuthenticator(adminToken: adminToken, accessKeys: broker.configuration.accessKeys)
        self.metrics = AdminMetrics()
        self.memoryTrimmer = memoryTrimmer
        self.logger = logger
        self.clock = clock
    }

    /// Answers one request. The future completes on `loop`.
    package func respond(to request: AdminRequest, on loop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let (path, query) = AdminRouter.split(target: request.target)
        switch AdminRouter.match(method: request.method, path: String(path)) {
        case .notFound:
            return refuse(request, .notFound("no route \(request.method) \(path)"), on: loop)
        case .badPath:
            return refuse(request, .badRequest("the path is not valid percent-encoded UTF-8"), on: loop)
        case .methodNotAllowed(let allowed):
            var response = AdminResponse.error(
                .methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(path)")
            // RFC 9110 §15.5.6: a 405 lists the methods the target supports.
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return refuse(request, response, on: loop)
        case .matched(let route, let parameters):
            if route.requiresAuthentication {
                let outcome = authenticator.authenticate(
                    method: request.method, target: request.target, body: request.body.readableBytesView,
                    nowMilliseconds: clock(), header: { request.headers.first(name: $0) })
                switch outcome {
                case .accepted:
                    break
                case .unauthorized(let message):
                    var response = AdminResponse.error(.unauthorized, "unauthorized", message)
                    // RFC 9110 §11.6.1: a 401 carries a challenge.
                    response.headers.append(("WWW-Authenticate", "Bearer realm=\"swiftlet-admin\""))
                    return refuse(request, response, on: loop, level: .info)
                case .forbidden(let message):
                    return refuse(request, .error(.forbidden, "forbidden", message), on: loop, level: .info)
                }
            }
            if route.method == "POST" {
                // RFC 9110 §15.5.16: content of a type the resource does not take is 415.
                let contentType = request.headers.first(name: "Content-Type") ?? ""
                // `first`, not `[0]`: an empty or ";"-only header splits into nothing.
                let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
                guard mediaType.lowercased() == "application/json" else {
                    return refuse(
                        request,
                        .error(.unsupportedMediaType, "unsupported_media_type", "the body must be application/json"),
                        on: loop)
                }
            }
            return dispatch(route.endpoint, request, parameters: parameters, query: query, on: loop)
                .map { response in
                    if response.status.code >= 400 {
                        self.log(request, response, level: .debug)
                    }
                    return response
                }
        }
    }

    private func refuse(
        _ request: AdminRequest, _ response: AdminResponse, on loop: any EventLoop, level: Logger.Level = .debug
    ) -> EventLoopFuture<AdminResponse> {
        log(request, response, level: level)
        return loop.makeSucceededFuture(response)
    }

    private func log(_ request: AdminRequest, _ response: AdminResponse, level: Logger.Level) {
        // The target may carry a client ID; never a credential (those are headers, never logged).
        logger.log(
            level: level, "admin API request refused",
            metadata: [
                "http.method": "\(request.method)", "http.target": "\(request.target)",
                "http.status": "\(response.status.code)",
            ])
    }

    private func dispatch(
        _ endpoint: AdminEndpoint, _ request: AdminRequest, parameters: [String: String], query: Substring?,
        on loop: any EventLoop
    ) -> EventLoopFuture<AdminResponse> {
        switch endpoint {
        case .health:
            return loop.makeSucceededFuture(.json(.ok, HealthBody()))
        case .metrics:
            let rooms = broker.roomSummaries
            let memory = memoryTrimmer?.statistics ?? MemoryTrimmer.Statistics()
            return broker.overview(on: loop).map { overview in
                var body = ByteBuffer()
                body.writeString(self.metrics.render(overview: overview, rooms: rooms, memory: memory))
                return AdminResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
            }
        case .publish:
            return loop.makeSucceededFuture(publish(request.body, on: loop))
        case .p2p:
            return loop.makeSucceededFuture(publishP2P(request.body, on: loop))
        case .issueToken:
            return loop.makeSucceededFuture(issueToken(request.body))
        case .revokeToken:
            return loop.makeSucceededFuture(revokeToken(request.body))
        case .queryToken:
            return loop.makeSucceededFuture(queryToken(request.body))
        case .issueDeviceCredential:
            return loop.makeSucceededFuture(issueDeviceCredential(request.body))
        case .listClients:
            return listClients(query: AdminRouter.queryItems(query), on: loop)
        case .showClient:
            let clientID = parameters["clientId"] ?? ""
            return broker.sessionSnapshot(clientID: clientID, on: loop).map { snapshot in
                guard let snapshot else { return .notFound("no session for client '\(clientID)'") }
                return .json(.ok, ClientDetail(snapshot))
            }
        case .kickClient:
            let clientID = parameters["clientId"] ?? ""
            return broker.kick(clientID: clientID, on: loop).map { kicked in
                kicked ? AdminResponse(status: .noContent) : .notFound("client '\(clientID)' is not connected")
            }
        case .listRooms:
            return loop.makeSucceededFuture(.json(.ok, broker.roomSummaries.map(RoomItem.init)))
        case .stats:
            let rooms = broker.roomSummaries.count
            let memory = memoryTrimmer?.statistics ?? MemoryTrimmer.Statistics()
            return broker.overview(on: loop).map { .json(.ok, StatsBody($0, rooms: rooms, memory: memory)) }
        }
    }

    // MARK: - Publishing

    private func publish(_ body: ByteBuffer, on loop: any EventLoop) -> AdminResponse {
        let request: PublishBody
        switch Self.decode(PublishBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        if let problem = validateTopic(request.topic, field: "topic") { return .badRequest(problem) }
        return route(
            topic: request.topic, payload: request.payload, encoding: request.encoding, qos: request.qos,
            retain: request.retain ?? false, userProperties: request.userProperties, on: loop)
    }

    private func publishP2P(_ body: ByteBuffer, on loop: any EventLoop) -> AdminResponse {
        let request: P2PBody
        switch Self.decode(P2PBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        // The parent is the first topic level (DESIGN §5): `{parentTopic}/p2p/{clientId}`.
        guard !request.parentTopic.isEmpty, !request.parentTopic.contains("/") else {
            return .badRequest("parentTopic must be one topic level, without '/'")
        }
        guard !request.clientId.isEmpty else { return .badRequest("clientId must not be empty") }
        let topic = "\(request.parentTopic)/\(P2PTopic.marker)/\(request.clientId)"
        if let problem = validateTopic(topic, field: "parentTopic and clientId") { return .badRequest(problem) }
        return route(
            topic: topic, payload: request.payload, encoding: request.encoding, qos: request.qos, retain: false,
            userProperties: request.userProperties, on: loop)
    }

    private func validateTopic(_ topic: String, field: String) -> String? {
        let configuration = broker.configuration
        // [MQTT-4.7.3-1] at least one character; [MQTT-3.3.2-2] no wildcards in a topic name.
        guard Topic.isValidName(topic) else { return "\(field): not a valid MQTT topic name" }
        guard Topic.fits(topic, maximumBytes: configuration.maxTopicLength, maximumLevels: configuration.maxTopicLevels)
        else {
            return "\(field): longer than \(configuration.maxTopicLength) bytes or \(configuration.maxTopicLevels) levels"
        }
        // `$` topics belong to the broker (status events on `$SYS`): not to be forged.
        guard !Topic.isDollarTopic(topic) else { return "\(field): topics starting with '$' are reserved" }
        return nil
    }

    private func route(
        topic: String, payload: String?, encoding: String?, qos: Int?, retain: Bool,
        userProperties: [String: String]?, on loop: any EventLoop
    ) -> AdminResponse {
        let bytes: [UInt8]
        switch encoding ?? "utf8" {
        case "utf8":
            bytes = Array((payload ?? "").utf8)
        case "base64":
            guard let data = Data(base64Encoded: payload ?? "") else {
                return .badRequest("payload is not valid Base64")
            }
            bytes = Array(data)
        default:
            return .badRequest("encoding must be utf8 or base64")
        }
        guard bytes.count <= broker.configuration.maxPacketSize else {
            return .badRequest("payload is larger than max-packet-size (\(broker.configuration.maxPacketSize) bytes)")
        }
        let requestedQoS = qos ?? 0
        guard (0...2).contains(requestedQoS), let qos = QoS(rawValue: UInt8(requestedQoS)) else {
            return .badRequest("qos must be 0, 1 or 2")
        }
        var properties = Properties()
        for (name, value) in (userProperties ?? [:]).sorted(by: { $0.key < $1.key }) {
            properties.append(.userProperty(name, value))
        }
        let deliveries = broker.publishAsAdmin(
            topic: topic, payload: ByteBuffer(bytes: bytes), qos: qos, retain: retain, properties: properties,
            on: loop)
        return .json(.ok, DeliveriesBody(deliveries: deliveries))
    }

    // MARK: - Tokens

    private func issueToken(_ body: ByteBuffer) -> AdminResponse {
        let request: IssueTokenBody
        switch Self.decode(IssueTokenBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        guard let key = broker.configuration.accessKeys.first(where: { $0.id == request.accessKeyId }) else {
            return .badRequest("accessKeyId: no such access key in the configuration")
        }
        guard let actions = TokenActions(request.actions) else { return .badRequest("actions must be R, W or RW") }
        for filter in request.filters where !Topic.isValidFilter(filter) {
            return .badRequest("filters: '\(filter)' is not a valid MQTT topic filter")
        }
        guard request.expiresIn > 0 else { return .badRequest("expiresIn must be a positive number of seconds") }
        let now = clock() / 1000
        do {
            let (token, encoded) = try TokenCodec.issue(
                accessKeyID: key.id, secretKey: key.secret, filters: request.filters, actions: actions,
                lifetime: UInt64(request.expiresIn), now: now)
            logger.info(
                "token issued by the admin API",
                metadata: ["token.id": "\(token.id)", "access.key": "\(key.id)", "expires.at": "\(token.expiresAt)"])
            return .json(
                .created,
                IssuedTokenBody(
                    token: encoded, expiresAt: token.expiresAt * 1000,
                    password: TokenPassword(tokens: [(actions, encoded)]).text))
        } catch {
            return .badRequest(error.description)
        }
    }

    /// Revokes a token (docs/authentication.md "Revocation and status"): its clients are disconnected
    /// with 0x87 and it is refused until it expires. 400 for something that is not a token of this
    /// broker, 503 when the revocation list is full.
    private func revokeToken(_ body: ByteBuffer) -> AdminResponse {
        let request: TokenBody
        switch Self.decode(TokenBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        switch broker.revokeToken(request.token, now: clock() / 1000) {
        case .success(let status):
            // The token ID only: the token itself is a credential and never logged.
            logger.notice(
                "token revoked by the admin API",
                metadata: ["token.id": "\(status.token.id)", "access.key": "\(status.token.accessKeyID)"])
            return .json(.ok, TokenStatusBody(status))
        case .failure(let error) where error.code == .revocationListFull:
            return .error(.serviceUnavailable, "revocation_list_full", error.description)
        case .failure(let error):
            return .badRequest("token: \(error.description)")
        }
    }

    /// What the broker knows about a token. A token it cannot verify is answered `valid: false`
    /// with the reason, not an error: "is this token any good?" has that answer.
    private func queryToken(_ body: ByteBuffer) -> AdminResponse {
        let request: TokenBody
        switch Self.decode(TokenBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        switch broker.tokenStatus(request.token, now: clock() / 1000) {
        case .success(let status):
            return .json(.ok, TokenStatusBody(status))
        case .failure(let error):
            return .json(.ok, TokenStatusBody(invalid: error.description))
        }
    }

    /// A device's own credential (docs/authentication.md "Device credentials"): its secret is
    /// derived from the access key's secret and the client ID, so nothing is stored.
    private func issueDeviceCredential(_ body: ByteBuffer) -> AdminResponse {
        let request: DeviceCredentialRequestBody
        switch Self.decode(DeviceCredentialRequestBody.self, body) {
        case .success(let decoded): request = decoded
        case .failure(let refusal): return refusal.response
        }
        guard let key = broker.configuration.accessKeys.first(where: { $0.id == request.accessKeyId }) else {
            return .badRequest("accessKeyId: no such access key in the configuration")
        }
        // MQTT 5 §1.5.4: a client ID is a UTF-8 string of at most 65,535 bytes; an empty one would be assigned.
        guard (1...65_535).contains(request.clientId.utf8.count) else {
            return .badRequest("clientId must be 1 to 65535 bytes")
        }
        let deviceSecret = DeviceSecret.derive(accessKeySecret: key.secret, clientID: request.clientId)
        let credential = ClientCredential.deviceCredential(
            deviceAccessKeyID: key.id, instanceID: broker.configuration.instanceID ?? "default")
        logger.info(
            "device credential issued by the admin API",
            metadata: ["client.id": "\(request.clientId)", "access.key": "\(key.id)"])
        return .json(
            .created,
            DeviceCredentialBody(
                accessKeyId: key.id, clientId: request.clientId, deviceSecretKey: deviceSecret,
                username: credential.username,
                password: Signature.password(secretKey: deviceSecret, clientID: request.clientId)))
    }

    // MARK: - Clients

    private func listClients(query: [String: String], on loop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let page: Int
        let limit: Int
        switch (query["page"].map { Int($0) } ?? 1, query["limit"].map { Int($0) } ?? 100) {
        case (let p?, let l?) where p >= 1 && (1...Self.maxPageSize).contains(l):
            page = p
            limit = l
        default:
            return loop.makeSucceededFuture(
                .badRequest("page must be 1 or more and limit 1 to \(Self.maxPageSize)"))
        }
        let group = query["group"]
        return broker.sessionSnapshots(on: loop).map { snapshots in
            var connected = snapshots.compactMap(\.connection)
            if let group {
                connected.removeAll { GroupedClientID($0.clientID)?.groupID != group }
            }
            connected.sort { $0.clientID.utf8.lexicographicallyPrecedes($1.clientID.utf8) }
            let (start, overflow) = (page - 1).multipliedReportingOverflow(by: limit)
            let items = overflow || start >= connected.count ? [] : connected[start..<min(start + limit, connected.count)]
            return .json(
                .ok, ClientPage(items: items.map(ClientItem.init), page: page, limit: limit, total: connected.count))
        }
    }

    // MARK: - JSON

    /// A request refused before it could be handled, with its answer.
    struct AdminRefusal: Error {
        var response: AdminResponse
    }

    /// Decodes a request body, or the 400 that says what is wrong with it.
    static func decode<Body: Decodable>(_ type: Body.Type, _ body: ByteBuffer) -> Result<Body, AdminRefusal> {
        do {
            return .success(try JSONDecoder().decode(type, from: Data(body.readableBytesView)))
        } catch let error as DecodingError {
            return .failure(AdminRefusal(response: .badRequest(describe(error))))
        } catch {
            return .failure(AdminRefusal(response: .badRequest("the body is not valid JSON")))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath, key))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(jsonName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(jsonName(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the body is not valid JSON" : "field '\(path(context.codingPath))' is not valid"
        @unknown default:
            return "the body is not valid JSON"
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [String].Type: "an array of strings"
        case is [String: String].Type: "an object of strings"
        default: "of another type"
        }
    }
}
