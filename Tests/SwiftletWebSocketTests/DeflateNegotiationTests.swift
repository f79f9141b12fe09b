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

@testable import SwiftletWebSocket

/// RFC 7692 §5 and §7.1: which offers the server accepts and what it answers.
@Suite struct DeflateNegotiationTests {
    private static let base = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    /// One row: the request's header values, and the expected answer (nil: no extension).
    struct Case: CustomTestStringConvertible, Sendable {
        var offers: [String]
        var expected: String?
        var serverMaxWindowBits = 15
        var clientMaxWindowBits: Int? = nil
        var testDescription: String { self.offers.joined(separator: " / ") }
    }

    static let cases: [Case] = [
        // No offer, or only other extensions: no answer (RFC 6455 §9.1).
        Case(offers: [], expected: nil),
        Case(offers: [""], expected: nil),
        Case(offers: ["x-webkit-deflate-frame"], expected: nil),
        Case(offers: ["foo; bar=1, baz"], expected: nil),
        // A plain offer: both no_context_takeover answered unprompted (RFC 7692 §7.1.1.1, §7.1.1.2).
        Case(offers: ["permessage-deflate"], expected: base),
        Case(offers: ["PerMessage-Deflate"], expected: base),
        Case(offers: ["  permessage-deflate  "], expected: base),
        // Each parameter on its own.
        Case(offers: ["permessage-deflate; server_no_context_takeover"], expected: base),
        Case(offers: ["permessage-deflate; client_no_context_takeover"], expected: base),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=10"],
            expected: base + "; server_max_window_bits=10",
            serverMaxWindowBits: 10
        ),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=15"],
            expected: base + "; server_max_window_bits=15"
        ),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=9"],
            expected: base + "; server_max_window_bits=9",
            serverMaxWindowBits: 9
        ),
        // client_max_window_bits with and without a value (RFC 7692 §7.1.2.2).
        Case(
            offers: ["permessage-deflate; client_max_window_bits"],
            expected: base + "; client_max_window_bits=15",
            clientMaxWindowBits: 15
        ),
        Case(
            offers: ["permessage-deflate; client_max_window_bits=12"],
            expected: base + "; client_max_window_bits=12",
            clientMaxWindowBits: 12
        ),
        Case(
            offers: ["permessage-deflate; client_max_window_bits=8"],
            expected: base + "; client_max_window_bits=8",
            clientMaxWindowBits: 8
        ),
        // Everything at once, the way browsers and Autobahn write it.
        Case(
            offers: [
                "permessage-deflate; client_no_context_takeover; server_no_context_takeover; "
                    + "server_max_window_bits=11; client_max_window_bits"
            ],
            expected: base + "; server_max_window_bits=11; client_max_window_bits=15",
            serverMaxWindowBits: 11,
            clientMaxWindowBits: 15
        ),
        // Quoted values (RFC 6455 §9.1: unescaped, they must be tokens).
        Case(
            offers: [#"permessage-deflate; server_max_window_bits="12""#],
            expected: base + "; server_max_window_bits=12",
            serverMaxWindowBits: 12
        ),
        Case(
            offers: [#"permessage-deflate; client_max_window_bits="1\2""#],
            expected: base + "; client_max_window_bits=12",
            clientMaxWindowBits: 12
        ),
        Case(offers: [#"permessage-deflate; server_max_window_bits="""#], expected: nil),
        Case(offers: [#"permessage-deflate; server_max_window_bits="1 2""#], expected: nil),
        Case(offers: [#"permessage-deflate; server_max_window_bits="12"#], expected: nil),
        // server_max_window_bits=8 cannot be honoured: decline, try the next offer (STYLE.md §3.4 item 4).
        Case(offers: ["permessage-deflate; server_max_window_bits=8"], expected: nil),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9"],
            expected: base + "; server_max_window_bits=9",
            serverMaxWindowBits: 9
        ),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=8", "permessage-deflate"],
            expected: base
        ),
        Case(
            offers: ["permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits"],
            expected: base + "; client_max_window_bits=15",
            clientMaxWindowBits: 15
        ),
        // The first acceptable offer wins.
        Case(
            offers: ["permessage-deflate; server_max_window_bits=10, permessage-deflate"],
            expected: base + "; server_max_window_bits=10",
            serverMaxWindowBits: 10
        ),
        Case(offers: ["foo, permessage-deflate, bar"], expected: base),
        // Invalid offers are declined (RFC 7692 §7.1), and the next one is tried.
        Case(offers: ["permessage-deflate; foo"], expected: nil),
        Case(offers: ["permessage-deflate; foo=1"], expected: nil),
        Case(offers: ["permessage-deflate; foo, permessage-deflate"], expected: base),
        Case(offers: ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], expected: nil),
        Case(offers: ["permessage-deflate; client_no_context_takeover; client_no_context_takeover"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"], expected: nil),
        Case(offers: ["permessage-deflate; client_max_window_bits; client_max_window_bits=10"], expected: nil),
        Case(offers: ["permessage-deflate; server_no_context_takeover=1"], expected: nil),
        Case(offers: ["permessage-deflate; client_no_context_takeover=true"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=7"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=16"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=010"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=09"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=+9"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=-9"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=ten"], expected: nil),
        Case(offers: ["permessage-deflate; server_max_window_bits=100000000000000000000"], expected: nil),
        Case(offers: ["permessage-deflate; client_max_window_bits=0"], expected: nil),
        Case(offers: ["permessage-deflate; client_max_window_bits=16"], expected: nil),
        Case(offers: ["permessage-deflate; client_max_window_bits="], expected: nil),
        Case(offers: ["permessage-deflate;"], expected: nil),
        Case(offers: ["permessage-deflate; =10"], expected: nil),
        Case(offers: ["permessage-deflate; server max window bits"], expected: nil),
        Case(offers: ["permessage-déflate"], expected: nil),
        // Empty list elements are skipped (RFC 7230 §7).
        Case(offers: [", ,permessage-deflate,"], expected: base),
        // A comma inside a quoted string does not split the list.
        Case(offers: [#"foo; a="x,permessage-deflate", bar"#], expected: nil),
    ]

    @Test(arguments: Self.cases)
    func negotiate(_ row: Case) {
        let response = PerMessageDeflateNegotiation.negotiate(offers: row.offers, configuration: .init())
        #expect(response?.headerValue == row.expected)
        if let response {
            #expect(response.parameters.serverMaxWindowBits == row.serverMaxWindowBits)
            #expect(response.parameters.clientMaxWindowBits == row.clientMaxWindowBits)
        }
    }

    @Test func disabledConfigurationNeverAnswers() {
        let configuration = PerMessageDeflateNegotiation.Configuration(isEnabled: false)
        #expect(
            PerMessageDeflateNegotiation.negotiate(offers: ["permessage-deflate"], configuration: configuration) == nil)
    }

    @Test func configurationDefaults() {
        let configuration = PerMessageDeflateNegotiation.Configuration()
        #expect(configuration.isEnabled)
        #expect(configuration.minimumMessageSizeToCompress == 256)
        #expect(configuration.maximumDecompressedMessageSize == 1 << 20)
        #expect(!configuration.shouldCompress(messageOfSize: 255))
        #expect(configuration.shouldCompress(messageOfSize: 256))
    }

    @Test func everyAnswerIsItselfAnAcceptableOffer() {
        // The response uses the same grammar as offers; parsing our own answer must succeed.
        for row in Self.cases {
            guard let answer = row.expected else { continue }
            let elements = ExtensionHeaderParser.elements(of: Substring(answer))
            #expect(elements.count == 1)
            #expect(elements.first.flatMap(ExtensionHeaderParser.offer(from:)) != nil)
        }
    }

    @Test func garbageNeverCrashes() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array(#"permessage-deflate;,="\ 0123456789_abcxyzservclientmaxwindowbitsnocontexttakeover"#.utf8)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 80)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let header = String(decoding: bytes, as: UTF8.self)
            _ = PerMessageDeflateNegotiation.negotiate(offers: [header], configuration: .init())
        }
    }
}
