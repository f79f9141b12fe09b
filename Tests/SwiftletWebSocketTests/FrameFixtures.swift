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
import SwiftletWebSocket
import Testing

/// One client frame on the wire and what the parser makes of it: a frame, or the close code it
/// fails with. For failures the bytes stop at the byte that decides the failure, so a fixture
/// also proves the parser fails on the first bad byte (and, for sizes, before the payload).
struct FrameFixture: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable {
        case frame(fin: Bool, rsv1: Bool, opcode: WebSocketOpcode, payload: [UInt8])
        case failure(WebSocketCloseCode)
    }

    var name: String
    var bytes: [UInt8]
    var expected: Expected
    var allowsRSV1 = false
    var maxFrameSize = 1 << 20

    var testDescription: String { self.name }

    func makeParser() -> WebSocketFrameParser {
        WebSocketFrameParser(maxFrameSize: self.maxFrameSize, allowsRSV1: self.allowsRSV1)
    }

    var expectedFrame: WebSocketFrame? {
        guard case .frame(let fin, let rsv1, let opcode, let payload) = self.expected else { return nil }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: ByteBuffer(bytes: payload))
    }

    var expectedCloseCode: WebSocketCloseCode? {
        guard case .failure(let code) = self.expected else { return nil }
        return code
    }
}

extension FrameFixture {
    static let hello = Array("Hello".utf8)
    static let zeroKey: [UInt8] = [0x00, 0x00, 0x00, 0x00]
    static let payload256 = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    static let payload65536 = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }

    /// Frames the parser accepts.
    static let valid: [FrameFixture] = [
        FrameFixture(
            name: "RFC 6455 §5.7: a single-frame masked text message",
            bytes: [
                0x81,  // FIN, text
                0x85,  // MASK, length 5
                0x37, 0xFA, 0x21, 0x3D,  // masking key
                0x7F, 0x9F, 0x4D, 0x51, 0x58,  // "Hello" masked
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .text, payload: hello)
        ),
        FrameFixture(
            name: "RFC 6455 §5.7: first fragment of \"Hello\", zero key",
            bytes: [
                0x01,  // no FIN, text
                0x83,  // MASK, length 3
                0x00, 0x00, 0x00, 0x00,  // masking key (all zero: a legal key)
                0x48, 0x65, 0x6C,  // "Hel"
            ],
            expected: .frame(fin: false, rsv1: false, opcode: .text, payload: Array("Hel".utf8))
        ),
        FrameFixture(
            name: "RFC 6455 §5.7: last fragment of \"Hello\", continuation",
            bytes: [
                0x80,  // FIN, continuation
                0x82,  // MASK, length 2
                0x00, 0x00, 0x00, 0x00,  // masking key
                0x6C, 0x6F,  // "lo"
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .continuation, payload: Array("lo".utf8))
        ),
        FrameFixture(
            name: "binary frame, 7-bit length",
            bytes: [
                0x82,  // FIN, binary
                0x84,  // MASK, length 4
                0x01, 0x02, 0x03, 0x04,  // masking key
                0x11, 0x22, 0x33, 0x44,  // 0x10 0x20 0x30 0x40 masked
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .binary, payload: [0x10, 0x20, 0x30, 0x40])
        ),
        FrameFixture(
            name: "empty binary frame",
            bytes: [
                0x82,  // FIN, binary
                0x80,  // MASK, length 0
                0x37, 0xFA, 0x21, 0x3D,  // masking key, then no payload
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .binary, payload: [])
        ),
        FrameFixture(
            name: "RFC 6455 §5.7: masked ping \"Hello\"",
            bytes: [
                0x89,  // FIN, ping
                0x85,  // MASK, length 5
                0x37, 0xFA, 0x21, 0x3D,  // masking key
                0x7F, 0x9F, 0x4D, 0x51, 0x58,  // "Hello" masked
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .ping, payload: hello)
        ),
        FrameFixture(
            name: "RFC 6455 §5.7: masked pong \"Hello\"",
            bytes: [
                0x8A,  // FIN, pong
                0x85,  // MASK, length 5
                0x37, 0xFA, 0x21, 0x3D,  // masking key
                0x7F, 0x9F, 0x4D, 0x51, 0x58,  // "Hello" masked
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .pong, payload: hello)
        ),
        FrameFixture(
            name: "close 1000",
            bytes: [
                0x88,  // FIN, close
                0x82,  // MASK, length 2
                0x00, 0x00, 0x00, 0x00,  // masking key
                0x03, 0xE8,  // 1000
            ],
            expected: .frame(fin: true, rsv1: false, opcode: .close, payload: [0x03, 0xE8])
        ),
        FrameFixture(
            name: "control frame of exactly 125 bytes",
            bytes: [
                0x89,  // FIN, ping
                0xFD,  // MASK, length 125
            ] + zeroKey + [UInt8](repeating: 0x61, count: 125),
            expected: .frame(fin: true, rsv1: false, opcode: .ping, payload: [UInt8](repeating: 0x61, count: 125))
        ),
        FrameFixture(
            name: "RFC 7692 §6: RSV1 on a text frame once deflate is negotiated",
            bytes: [
                0xC1,  // FIN, RSV1, text
                0x80,  // MASK, length 0
                0x00, 0x00, 0x00, 0x00,  // masking key
            ],
            expected: .frame(fin: true, rsv1: true, opcode: .text, payload: []),
            allowsRSV1: true
        ),
        FrameFixture(
            name: "RFC 7692 §6: RSV1 on the first fragment of a binary message",
            bytes: [
                0x42,  // no FIN, RSV1, binary
                0x81,  // MASK, length 1
                0x00, 0x00, 0x00, 0x00,  // masking key
                0x00,  // a stored-block byte, as it is
            ],
            expected: .frame(fin: false, rsv1: true, opcode: .binary, payload: [0x00]),
            allowsRSV1: true
        ),
        FrameFixture(
            name: "16-bit length, 256 bytes",
            bytes: [
                0x82,  // FIN, binary
                0xFE,  // MASK, 16-bit length follows
                0x01, 0x00,  // 256
            ] + zeroKey + payload256,
            expected: .frame(fin: true, rsv1: false, opcode: .binary, payload: payload256)
        ),
        FrameFixture(
            name: "16-bit length at its lower bound, 126 bytes",
            bytes: clientFrame(opcode: .binary, payload: Array(payload256[..<126])),
            expected: .frame(fin: true, rsv1: false, opcode: .binary, payload: Array(payload256[..<126]))
        ),
        FrameFixture(
            name: "64-bit length, 65536 bytes, RFC 6455 §5.7 style",
            bytes: [
                0x82,  // FIN, binary
                0xFF,  // MASK, 64-bit length follows
                0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,  // 65536
                0x37, 0xFA, 0x21, 0x3D,  // masking key
            ] + payload65536.enumerated().map { $0.element ^ [0x37, 0xFA, 0x21, 0x3D][$0.offset % 4] },
            expected: .frame(fin: true, rsv1: false, opcode: .binary, payload: payload65536)
        ),
    ]

    /// Frames the parser rejects; the bytes end on the deciding byte.
    static let invalid: [FrameFixture] =
        [
            FrameFixture(
                name: "RFC 6455 §5.1: unmasked client frame",
                bytes: [
                    0x81,  // FIN, text
                    0x05,  // no MASK: fails here
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: RSV2 set",
                bytes: [0xA2],  // FIN, RSV2, binary
                expected: .failure(.protocolError),
                allowsRSV1: true
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: RSV3 set",
                bytes: [0x92],  // FIN, RSV3, binary
                expected: .failure(.protocolError),
                allowsRSV1: true
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: RSV1 without a negotiated extension",
                bytes: [0xC2],  // FIN, RSV1, binary
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 7692 §6.1: RSV1 on a continuation frame",
                bytes: [0xC0],  // FIN, RSV1, continuation
                expected: .failure(.protocolError),
                allowsRSV1: true
            ),
            FrameFixture(
                name: "RFC 7692 §6: RSV1 on a ping",
                bytes: [0xC9],  // FIN, RSV1, ping
                expected: .failure(.protocolError),
                allowsRSV1: true
            ),
            FrameFixture(
                name: "RFC 7692 §6: RSV1 on a close",
                bytes: [0xC8],  // FIN, RSV1, close
                expected: .failure(.protocolError),
                allowsRSV1: true
            ),
            FrameFixture(
                name: "RFC 6455 §5.5: fragmented ping",
                bytes: [0x09],  // no FIN, ping
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.5: fragmented close",
                bytes: [0x08],  // no FIN, close
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.5: fragmented pong",
                bytes: [0x0A],  // no FIN, pong
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.5: ping with a 16-bit length",
                bytes: [
                    0x89,  // FIN, ping
                    0xFE,  // MASK, 16-bit length: a control payload over 125 bytes
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.5: close with a 64-bit length",
                bytes: [
                    0x88,  // FIN, close
                    0xFF,  // MASK, 64-bit length
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 16-bit length of 125 is not minimal",
                bytes: [
                    0x82,  // FIN, binary
                    0xFE,  // MASK, 16-bit length follows
                    0x00, 0x7D,  // 125
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 16-bit length of 0 is not minimal",
                bytes: [0x82, 0xFE, 0x00, 0x00],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 64-bit length of 65535 is not minimal",
                bytes: [
                    0x82,  // FIN, binary
                    0xFF,  // MASK, 64-bit length follows
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF,  // 65535
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 64-bit length of 1 is not minimal",
                bytes: [0x82, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 64-bit length with its most significant bit set",
                bytes: [
                    0x82,  // FIN, binary
                    0xFF,  // MASK, 64-bit length follows
                    0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,  // MSB set
                ],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "RFC 6455 §5.2: 64-bit length of all ones",
                bytes: [0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                expected: .failure(.protocolError)
            ),
            FrameFixture(
                name: "1009: 7-bit length over the limit, decided on the length byte",
                bytes: [
                    0x82,  // FIN, binary
                    0xE5,  // MASK, length 101; the limit is 100
                ],
                expected: .failure(.messageTooBig),
                maxFrameSize: 100
            ),
            FrameFixture(
                name: "1009: 16-bit length over the limit, before the masking key",
                bytes: [
                    0x82,  // FIN, binary
                    0xFE,  // MASK, 16-bit length follows
                    0x01, 0x00,  // 256; the limit is 255
                ],
                expected: .failure(.messageTooBig),
                maxFrameSize: 255
            ),
            FrameFixture(
                name: "1009: 64-bit length over the limit, before the masking key",
                bytes: [
                    0x82,  // FIN, binary
                    0xFF,  // MASK, 64-bit length follows
                    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // 4 GiB; the limit is 1 MiB
                ],
                expected: .failure(.messageTooBig)
            ),
            FrameFixture(
                name: "1009: largest 64-bit length, before the masking key",
                bytes: [0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                expected: .failure(.messageTooBig)
            ),
            FrameFixture(
                name: "1009: the limit also applies to control frames",
                bytes: [
                    0x89,  // FIN, ping
                    0x8B,  // MASK, length 11; the limit is 10
                ],
                expected: .failure(.messageTooBig),
                maxFrameSize: 10
            ),
        ]
        // RFC 6455 §5.2, §11.8: opcodes 0x3-0x7 (data) and 0xB-0xF (control) are reserved.
        + ([0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] as [UInt8]).map { opcode in
            FrameFixture(
                name: "RFC 6455 §5.2: reserved opcode 0x\(String(opcode, radix: 16, uppercase: true))",
                bytes: [0x80 | opcode],  // FIN, reserved opcode
                expected: .failure(.protocolError)
            )
        }
}
