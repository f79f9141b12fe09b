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
import NIOPosix
import SwiftletCloud
import SwiftletServer
import Testing

/// The SDK against the real broker over real sockets on 127.0.0.1.
@Suite("SwiftletCloud against BrokerServer", .timeLimit(.minutes(1)))
struct CloudClientTests {
    static let accessKey = "CLOUD"
    static let secret = "cloud-secret"

    /// A started broker that knows the cloud access key: MQTT on 127.0.0.1:`port` (0: any), no HTTP or
    /// admin listener, two loops; `configure` changes that before it starts.
    static func startBroker(
        port: Int = 0, configure: (inout ServerConfiguration) throws -> Void = { _ in }
    ) throws -> BrokerServer {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "mqtt", value: "127.0.0.1:\(port)")
        configuration.http = nil
        configuration.admin = nil
        try configuration.apply(key: "threads", value: "2")
        try configuration.apply(key: "access-key", value: "\(accessKey):\(secret):cloud")
        try configure(&configuration)
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        let server = BrokerServer(configuration: configuration, logger: logger)
        try server.start()
        return server
    }

    static func stop(_ server: BrokerServer) async throws {
        try await server.shutdown().get()
        try await NIOThreadPool.singleton.runIfActive { try server.syncShutdown() }
    }

    /// Runs `body` with a broker from ``startBroker(port:configure:)``; shuts it down after, also when
    /// `body` throws.
    static func withServer(
        configure: (inout ServerConfiguration) throws -> Void = { _ in }, _ body: (BrokerServer) async throws -> Void
    ) async throws {
        let server = try startBroker(configure: configure)
        let outcome: Result<Void, any Error>
        do {
            try await body(server)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await stop(server)
        try outcome.get()
    }

    /// Runs `body` with the MQTT port of a broker on 127.0.0.1 that knows the cloud access key.
    static func withBroker(_ body: (Int) async throws -> Void) async throws {
        try await withServer { server in try await body(try #require(server.boundPorts["mqtt"])) }
    }

    static func client(_ port: Int, _ clientID: String, secret: String = secret) -> CloudClient {
        var configuration = CloudConfiguration(
            host: "127.0.0.1", port: port, accessKeyID: accessKey, secretKey: secret, instanceID: "test",
            clientID: clientID)
        configuration.reconnectInitialDelay = .milliseconds(50)
        return CloudClient(configuration: configuration)
    }

    @Test("Clustering: two members split a QoS 1 stream, none lost, with the publisher's properties")
    func clustering() async throws {
        try await Self.withBroker { port in
            let first = Self.client(port, "GID_backend@@@1")
            let second = Self.client(port, "GID_backend@@@2")
            let sender = Self.client(port, "GID_sender@@@1")
            try await first.connect()
            try await second.connect()
            try await sender.connect()
            let streams = [
                try await first.consume(parentTopic: "jobs", group: "GID_backend"),
                try await second.consume(parentTopic: "jobs", group: "GID_backend"),
            ]
            let count = 20
            for n in 0..<count {
                try await sender.send(topic: "jobs", payload: "job \(n)", secondTopic: "/queue\(n % 3)")
            }
            // Round-robin over two members: half each.
            var received: [[CloudMessage]] = [[], []]
            for (position, stream) in streams.enumerated() {
                var iterator = stream.makeAsyncIterator()
                for _ in 0..<(count / 2) {
                    let message = try #require(await iterator.next())
                    message.ack()
                    received[position].append(message)
                }
            }
            let payloads = received.flatMap { $0.map(\.payloadString) }
            #expect(Set(payloads) == Set((0..<count).map { "job \($0)" }))
            let sample = try #require(received[0].first)
            #expect(sample.topic.hasPrefix("jobs/queue"))
            #expect(sample.publisherClientID == "GID_sender@@@1")
            #expect(sample.qosLevel == .atLeastOnce)
            #expect(sample.cleanSession == true)
            #expect(sample.secondTopic == String(sample.topic.dropFirst("jobs".count)))
            await first.close()
            await second.close()
            await sender.close()
        }
    }

    @Test("A member that closes with unacknowledged messages: the other member gets them")
    func redeliveryToOtherMember() async throws {
        try await Self.withBroker { port in
            let lazy = Self.client(port, "GID_backend@@@lazy")
            let worker = Self.client(port, "GID_backend@@@worker")
            let sender = Self.client(port, "GID_sender@@@1")
            try await lazy.connect()
            try await worker.connect()
            try await sender.connect()
            let lazyStream = try await lazy.consume(parentTopic: "orders", group: "GID_backend")
            let workerStream = try await worker.consume(parentTopic: "orders", group: "GID_backend")
            for n in 0..<6 {
                try await sender.send(topic: "orders", payload: "order \(n)", secondTopic: "/o")
            }
            var lazyIterator = lazyStream.makeAsyncIterator()
            var held: [String] = []
            for _ in 0..<3 {
                // Received and never acknowledged.
                held.append(try #require(await lazyIterator.next()).payloadString)
            }
            var workerIterator = workerStream.makeAsyncIterator()
            var done: [String] = []
            for _ in 0..<3 {
                let message = try #require(await workerIterator.next())
                message.ack()
                done.append(message.payloadString)
            }
            await lazy.close()
            var redelivered: [String] = []
            for _ in 0..<3 {
                let message = try #require(await workerIterator.next())
                message.ack()
                redelivered.append(message.payloadString)
            }
            #expect(redelivered == held)
            #expect(Set(done + redelivered).count == 6)
            await worker.close()
            await sender.close()
        }
    }

    @Test("A consumer that stops without acknowledging hands its messages to another member, and its client goes on")
    func cancelledConsumerHandsBack() async throws {
        try await Self.withBroker { port in
            let quitter = Self.client(port, "GID_backend@@@quitter")
            let worker = Self.client(port, "GID_backend@@@worker")
            let sender = Self.client(port, "GID_sender@@@1")
            try await quitter.connect()
            try await worker.connect()
            try await sender.connect()
            // The quitter is the only member when the message is routed, so it is the quitter's.
            var stream: AsyncStream<CloudMessage>? = try await quitter.consume(parentTopic: "jobs", group: "GID_backend")
            try await sender.send(topic: "jobs/1", payload: "not acknowledged")
            // A second member, there when the quitter hands the message back (with none, the broker drops it).
            let workerStream = try await worker.consume(parentTopic: "jobs", group: "GID_backend")
            var iterator = workerStream.makeAsyncIterator()
            // The quitter takes the message and stops iterating without ack(): iterator and stream go away.
            var quitting: AsyncStream<CloudMessage>.Iterator? = stream?.makeAsyncIterator()
            stream = nil
            #expect(await quitting?.next()?.payloadString == "not acknowledged")
            quitting = nil
            // Handed back: the quitter's client recycled its connection, so the broker gave it to the worker.
            let handedBack = try #require(await iterator.next())
            #expect(handedBack.payloadString == "not acknowledged")
            handedBack.ack()
            // The quitter's client reconnected: a new consumer subscribes (consume returns after the SUBACK) and
            // gets what is sent next.
            var again = try await quitter.consume(parentTopic: "jobs", group: "GID_other").makeAsyncIterator()
            try await sender.send(topic: "jobs/2", payload: "after")
            let after = try #require(await again.next())
            #expect(after.payloadString == "after")
            after.ack()
            #expect(try #require(await iterator.next()).payloadString == "after")
            await quitter.close()
            await worker.close()
            await sender.close()
        }
    }

    @Test("Ordered mode keeps each topic on one member, in order; P2P with a real topic reaches one client")
    func orderedAndP2P() async throws {
        try await Self.withBroker { port in
            let members = [Self.client(port, "GID_ord@@@1"), Self.client(port, "GID_ord@@@2")]
            let sender = Self.client(port, "GID_sender@@@1")
            var streams: [AsyncStream<CloudMessage>] = []
            for member in members {
                try await member.connect()
                streams.append(try await member.consume(parentTopic: "telemetry", group: "GID_ord", mode: .ordered))
            }
            try await sender.connect()
            let topics = 4
            let perTopic = 5
            for n in 0..<perTopic {
                for device in 0..<topics {
                    try await sender.send(topic: "telemetry", payload: "\(n)", secondTopic: "/device\(device)")
                }
            }
            // Every message of a topic reaches one member; drain by asking each stream in turn until all arrived.
            let all = try await withThrowingTaskGroup(of: [(Int, String, Int)].self) { group in
                for (position, stream) in streams.enumerated() {
                    group.addTask {
                        var result: [(Int, String, Int)] = []
                        for await message in stream {
                            message.ack()
                            result.append((position, message.topic, Int(message.payloadString)!))
                            if message.topic == "telemetry/end" { break }
                        }
                        return result
                    }
                }
                // One end marker per member, on the p2p topics, so that each loop ends.
                for (position, _) in members.enumerated() {
                    try await sender.sendP2P(
                        parentTopic: "telemetry", clientID: "GID_ord@@@\(position + 1)", payload: ByteBuffer(string: "-1"),
                        realTopic: "telemetry/end")
                }
                var collected: [(Int, String, Int)] = []
                for try await part in group { collected += part }
                return collected
            }
            let messages = all.filter { $0.1 != "telemetry/end" }
            #expect(messages.count == topics * perTopic)
            for device in 0..<topics {
                let ofTopic = messages.filter { $0.1 == "telemetry/device\(device)" }
                #expect(Set(ofTopic.map(\.0)).count == 1, "device\(device) went to more than one member")
                #expect(ofTopic.map(\.2) == Array(0..<perTopic))
            }
            // Each member got exactly its own end marker, on the real topic.
            #expect(all.filter { $0.1 == "telemetry/end" }.map(\.0).sorted() == [0, 1])
            for member in members { await member.close() }
            await sender.close()
        }
    }

    @Test("Status events reach the group; a wrong secret fails connect()")
    func statusEventsAndRefusal() async throws {
        try await Self.withBroker { port in
            let backend = Self.client(port, "GID_backend@@@status")
            try await backend.connect()
            let events = try await backend.statusEvents(group: "GID_backend")
            let device = Self.client(port, "GID_device@@@7")
            try await device.connect()
            var iterator = events.makeAsyncIterator()
            var event = try #require(await iterator.next())
            while event.clientID != "GID_device@@@7" { event = try #require(await iterator.next()) }
            #expect(event.isConnect)
            #expect(event.groupID == "GID_device")

            let impostor = Self.client(port, "GID_x@@@1", secret: "wrong")
            await #expect(throws: CloudError.self) { try await impostor.connect() }
            // Nothing to consume on before connect() succeeded.
            await #expect(throws: CloudError.self) { _ = try await impostor.consume(parentTopic: "a", group: "g") }
            let unnamed = Self.client(port, "plain")
            await #expect(throws: CloudError.self) { try await unnamed.connect() }
            await #expect(throws: CloudError.self) {
                _ = try await backend.consume(parentTopic: "a/#", group: "g")
            }
            await device.close()
            await backend.close()
        }
    }

    @Test("After the broker restarts the client reconnects and consumes again")
    func reconnects() async throws {
        let first = try Self.startBroker()
        let port = try #require(first.boundPorts["mqtt"])
        var configuration = CloudConfiguration(
            host: "127.0.0.1", port: port, accessKeyID: Self.accessKey, secretKey: Self.secret, instanceID: "test",
            clientID: "GID_backend@@@reconnecting")
        configuration.reconnectInitialDelay = .milliseconds(20)
        configuration.reconnectMaximumDelay = .milliseconds(200)
        let consumer = CloudClient(configuration: configuration)
        try await consumer.connect()
        let stream = try await consumer.consume(parentTopic: "jobs", group: "GID_backend")
        try await Self.stop(first)

        let second = try Self.startBroker(port: port)
        let outcome: Result<Void, any Error>
        do {
            let sender = Self.client(port, "GID_sender@@@1")
            try await sender.connect()
            // The broker says whether a subscriber took it (PUBACK 0x10 otherwise): send until the consumer is
            // back and subscribed.
            var attempt = 0
            while try await sender.send(topic: "jobs", payload: "after \(attempt)", secondTopic: "/x")
                .reachedSubscribers != true
            {
                attempt += 1
            }
            var iterator = stream.makeAsyncIterator()
            let message = try #require(await iterator.next())
            #expect(message.payloadString == "after \(attempt)")
            message.ack()
            await sender.close()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await consumer.close()
        try await Self.stop(second)
        try outcome.get()
    }
}
