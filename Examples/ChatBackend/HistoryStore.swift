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
import CSQLite

/// The last messages of each chat room, in SQLite, so a page that joins sees what was said.
///
/// An actor owns the connection: SQLite connections must not be used from two threads at once,
/// and the example's writes are a few per chat message, so serialising them costs nothing. The
/// database is in WAL mode with `synchronous=NORMAL`: a crash loses at most the last
/// transactions, never the file.
actor HistoryStore {
    enum StoreError: Error, CustomStringConvertible {
        case sqlite(operation: String, code: Int32, message: String)

        var description: String {
            switch self {
            case .sqlite(let operation, let code, let message): "SQLite \(operation) failed (\(code)): \(message)"
            }
        }
    }

    /// Messages kept per room; older ones are deleted as new ones arrive.
    let limit: Int
    private let handle: Handle
    private var database: OpaquePointer { handle.pointer }

    /// Opens (or creates) the database at `path`; `:memory:` for a throwaway store.
    init(path: String, limit: Int) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StoreError.sqlite(operation: "open \(path)", code: code, message: message)
        }
        self.handle = Handle(pointer: handle)
        self.limit = limit
        try Self.execute(
            handle,
            """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS messages (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                room TEXT NOT NULL,
                id TEXT NOT NULL,
                sender TEXT NOT NULL,
                nick TEXT NOT NULL,
                text TEXT NOT NULL,
                ts INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS messages_room ON messages (room, seq);
            """
        )
    }

    deinit {
        // The actor is gone, so nothing else can be using the connection.
        sqlite3_close_v2(handle.pointer)
    }

    /// The connection, Sendable so that the non-isolated `deinit` may close it.
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Appends `message` to its room and trims the room to ``limit`` messages, in one transaction.
    func append(_ message: ChatMessage, room: String) throws {
        try Self.execute(database, "BEGIN")
        do {
            try run(
                "INSERT INTO messages (room, id, sender, nick, text, ts) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(room), .text(message.id), .text(message.from), .text(message.nick), .text(message.text),
                 .integer(message.ts)]
            )
            try run(
                "DELETE FROM messages WHERE room = ? AND seq <= (SELECT seq FROM messages WHERE room = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                [.text(room), .text(room), .integer(Int64(limit))]
            )
            try Self.execute(database, "COMMIT")
        } catch {
            try? Self.execute(database, "ROLLBACK")
            throw error
        }
    }

    /// The room's messages, oldest first.
    func recent(room: String) throws -> [ChatMessage] {
        var messages: [ChatMessage] = []
        try run(
            "SELECT id, sender, nick, text, ts FROM (SELECT * FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            [.text(room), .integer(Int64(limit))]
        ) { row in
            messages.append(
                ChatMessage(id: row.text(0), from: row.text(1), nick: row.text(2), text: row.text(3), ts: row.integer(4))
            )
        }
        return messages
    }

    // MARK: - SQLite

    enum Value {
        case text(String)
        case integer(Int64)
    }

    struct Row {
        let statement: OpaquePointer
        func text(_ column: Int32) -> String {
            sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
        }
        func integer(_ column: Int32) -> Int64 {
            sqlite3_column_int64(statement, column)
        }
    }

    private func run(_ sql: String, _ values: [Value], row: (Row) throws -> Void = { _ in }) throws {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(database, sql, -1, &statement, nil), "prepare")
        defer { sqlite3_finalize(statement) }
        guard let statement else { return }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .text(let text):
                try check(swiftlet_sqlite3_bind_text(statement, index, text, -1), "bind")
            case .integer(let integer):
                try check(sqlite3_bind_int64(statement, index, integer), "bind")
            }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { try check(code, "step"); return }
            try row(Row(statement: statement))
        }
    }

    private func check(_ code: Int32, _ operation: String) throws {
        guard code != SQLITE_OK else { return }
        throw StoreError.sqlite(operation: operation, code: code, message: String(cString: sqlite3_errmsg(database)))
    }

    private static func execute(_ database: OpaquePointer, _ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(database, sql, nil, nil, &error)
        guard code == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(error)
            throw StoreError.sqlite(operation: "exec", code: code, message: message)
        }
    }
}
