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

// The data representations of MQTT 5 §1.5 (the same in 3.1.1 §1.5, minus the variable byte
// integer outside the fixed header). Readers work on the body slice of one packet: running out of
// bytes there is a malformed packet, never "need more data".

/// Wire sizes and limits of the MQTT data representations.
enum MQTTWire {
    /// The largest value a variable byte integer can hold (MQTT 5 §1.5.5).
    static let maximumVariableByteInteger = 268_435_455

    /// The largest length of a UTF-8 string or binary data field (MQTT 5 §1.5.4, §1.5.6).
    static let maximumFieldLength = Int(UInt16.max)

    /// The number of bytes `value` takes as a variable byte integer.
    @inlinable
    static func variableByteIntegerSize(_ value: Int) -> Int {
        switch value {
        case ..<128: 1
        case ..<16_384: 2
        case ..<2_097_152: 3
        default: 4
        }
    }

    /// The number of bytes `string` takes as a length-prefixed UTF-8 string.
    @inlinable
    static func stringSize(_ string: String) -> Int {
        2 + string.utf8.count
    }

    /// The number of bytes `data` takes as length-prefixed binary data.
    @inlinable
    static func binaryDataSize(_ data: ByteBuffer) -> Int {
        2 + data.readableBytes
    }
}

// MARK: - Reading

extension ByteBuffer {
    /// Reads a byte, or throws malformed when the packet ends first.
    mutating func readMQTTByte(_ field: StaticString) throws(MQTTDecodeError) -> UInt8 {
        guard let value = self.readInteger(as: UInt8.self) else { throw .truncated(field) }
        return value
    }

    /// Reads a big-endian two byte integer (MQTT 5 §1.5.2).
    mutating func readMQTTUInt16(_ field: StaticString) throws(MQTTDecodeError) -> UInt16 {
        guard let value = self.readInteger(as: UInt16.self) else { throw .truncated(field) }
        return value
    }

    /// Reads a big-endian four byte integer (MQTT 5 §1.5.3).
    mutating func readMQTTUInt32(_ field: StaticString) throws(MQTTDecodeError) -> UInt32 {
        guard let value = self.readInteger(as: UInt32.self) else { throw .truncated(field) }
        return value
    }

    /// Reads a variable byte integer (MQTT 5 §1.5.5) of at most four bytes, minimally encoded.
    mutating func readMQTTVariableByteInteger(_ field: StaticString) throws(MQTTDecodeError) -> Int {
        guard let (value, length) = try self.peekMQTTVariableByteInteger(at: self.readerIndex, field) else {
            throw .truncated(field)
        }
        self.moveReaderIndex(forwardBy: length)
        return value
    }

    /// Peeks a variable byte integer at `index` without moving the reader index.
    ///
    /// - Returns: The value and its length in bytes, or `nil` when the buffer ends before the last
    ///   byte of the integer.
    /// - Throws: Malformed as soon as a fourth byte with the continuation bit is visible, so a
    ///   peer cannot make the caller wait for an integer that can never be valid.
    func peekMQTTVariableByteInteger(
        at index: Int,
        _ field: StaticString
    ) throws(MQTTDecodeError) -> (value: Int, length: Int)? {
        var value = 0
        for offset in 0..<4 {
            guard let byte = self.getInteger(at: index + offset, as: UInt8.self) else { return nil }
            value |= Int(byte & 0x7F) << (7 * offset)
            if byte & 0x80 == 0 {
                // A multi-byte encoding ending in a zero byte has a shorter form [MQTT-1.5.5-1].
                guard offset == 0 || byte != 0 else {
                    throw .malformed("\(field) is not encoded in the minimum number of bytes")
                }
                return (value, offset + 1)
            }
        }
        // MQTT 5 §1.5.5, MQTT 3.1.1 §2.2.3: at most four bytes.
        throw .malformed("\(field) is longer than four bytes")
    }

    /// Reads length-prefixed binary data (MQTT 5 §1.5.6) as a slice of this buffer: no copy.
    mutating func readMQTTBinaryData(_ field: StaticString) throws(MQTTDecodeError) -> ByteBuffer {
        let length = try self.readMQTTUInt16(field)
        guard let data = self.readSlice(length: Int(length)) else { throw .truncated(field) }
        return data
    }

    /// Reads a length-prefixed UTF-8 string (MQTT 5 §1.5.4), validating it strictly.
    ///
    /// `readString` would repair ill-formed UTF-8 with U+FFFD; MQTT requires the receiver to treat
    /// it as a malformed packet instead.
    mutating func readMQTTString(_ field: StaticString) throws(MQTTDecodeError) -> String {
        let length = try self.readMQTTUInt16(field)
        guard let bytes = self.readSlice(length: Int(length)) else { throw .truncated(field) }
        return try bytes.validatedMQTTString(field)
    }

    /// The readable bytes as a `String`, if they are well-formed UTF-8 without U+0000.
    func validatedMQTTString(_ field: StaticString) throws(MQTTDecodeError) -> String {
        let result: String?? = self.withUnsafeReadableBytes { bytes in
            // U+0000 is only ever the byte 0x00 in well-formed UTF-8 (0xC0 0x80 is ill-formed).
            guard !bytes.contains(0) else { return .some(nil) }
            return String(validating: bytes, as: UTF8.self)
        }
        switch result {
        case .some(.some(let string)):
            return string
        case .some(.none):
            throw .malformed("\(field) contains U+0000")  // [MQTT-1.5.4-2] (5.0) [MQTT-1.5.3-2] (3.1.1)
        case .none:
            throw .malformed("\(field) is not well-formed UTF-8")  // [MQTT-1.5.4-1] (5.0) [MQTT-1.5.3-1] (3.1.1)
        }
    }
}

// MARK: - Writing

extension ByteBuffer {
    /// Writes `value` as a variable byte integer (MQTT 5 §1.5.5).
    ///
    /// - Precondition: `0 <= value <= 268_435_455`.
    @discardableResult
    mutating func writeMQTTVariableByteInteger(_ value: Int) -> Int {
        precondition(
            (0...MQTTWire.maximumVariableByteInteger).contains(value),
            "\(value) does not fit an MQTT variable byte integer"
        )
        var remaining = value
        var written = 0
        repeat {
            var byte = UInt8(truncatingIfNeeded: remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            written += self.writeInteger(byte)
        } while remaining > 0
        return written
    }

    /// Writes a length-prefixed UTF-8 string (MQTT 5 §1.5.4).
    ///
    /// - Precondition: the string is at most 65,535 bytes of UTF-8.
    @discardableResult
    mutating func writeMQTTString(_ string: String) -> Int {
        let length = string.utf8.count
        precondition(length <= MQTTWire.maximumFieldLength, "MQTT strings hold at most 65535 bytes, got \(length)")
        return self.writeInteger(UInt16(truncatingIfNeeded: length)) + self.writeString(string)
    }

    /// Writes length-prefixed binary data (MQTT 5 §1.5.6).
    ///
    /// - Precondition: `data` has at most 65,535 readable bytes.
    @discardableResult
    mutating func writeMQTTBinaryData(_ data: ByteBuffer) -> Int {
        let length = data.readableBytes
        precondition(length <= MQTTWire.maximumFieldLength, "MQTT binary data holds at most 65535 bytes, got \(length)")
        return self.writeInteger(UInt16(truncatingIfNeeded: length)) + self.writeImmutableBuffer(data)
    }
}
