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
import SwiftletFuzzSupport
import SwiftletServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A web root in a temporary directory, made once per process, that tries to lure the resolver
/// out: symbolic links to a file and a directory outside it, a dot file, a FIFO, nested
/// directories with and without an index.
///
///     outside/secret.txt
///     root/index.html, root/a.txt, root/.hidden
///     root/sub/index.html, root/sub/b.txt, root/empty/
///     root/link-out -> ../outside/secret.txt, root/dir-out -> ../outside
///     root/link-in -> a.txt, root/fifo
struct WebRootFixture: Sendable {
    static let shared = WebRootFixture()

    let root: String
    /// The inodes of the regular files inside the root: the only files a resolution may open.
    let insideInodes: Set<UInt64>

    /// Per process, so that parallel fuzzers and test runs do not share one.
    private static var base: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-fuzz-webroot-\(getpid())").path
    }

    private init() {
        let base = Self.base
        // Gone when the process exits normally; a crash leaves it for the next reboot's cleanup.
        atexit { try? FileManager.default.removeItem(atPath: WebRootFixture.base) }
        let root = base + "/root"
        let files = ["index.html", "a.txt", ".hidden", "sub/index.html", "sub/b.txt"]
        try? FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: base + "/outside/secret.txt", contents: Data("secret".utf8))
        for file in files {
            _ = FileManager.default.createFile(atPath: root + "/" + file, contents: Data(file.utf8))
        }
        try? FileManager.default.createSymbolicLink(atPath: root + "/link-out", withDestinationPath: "../outside/secret.txt")
        try? FileManager.default.createSymbolicLink(atPath: root + "/dir-out", withDestinationPath: "../outside")
        try? FileManager.default.createSymbolicLink(atPath: root + "/link-in", withDestinationPath: "a.txt")
        mkfifo(root + "/fifo", 0o600)
        self.root = root
        self.insideInodes = Set(files.compactMap { Self.inode(root + "/" + $0) })
    }

    /// Resolves `target` under the root: a file it opens must be one of the root's own.
    ///
    /// - Returns: Whether the answer is a redirect to the directory's slash form.
    func checkResolution(of target: StaticFileRequestTarget) throws(FuzzFailure) -> Bool {
        let file: StaticFile
        switch StaticFileResolver.resolve(target, root: self.root, indexFileName: "index.html", maxFileSize: 1 << 20) {
        case .file(let resolved): file = resolved
        case .redirectToDirectory: return true
        case .notFound: return false
        }
        var status = stat()
        let described = (try? file.handle.withUnsafeFileDescriptor { fstat($0, &status) }) ?? -1
        try? file.handle.close()
        try fuzzCheck(described == 0, "cannot fstat the file resolved for \(target.segments)")
        try fuzzCheck(
            self.insideInodes.contains(UInt64(status.st_ino)),
            "\(target.segments) resolved to a file outside the web root"
        )
        try fuzzCheck(!file.fileName.hasPrefix("."), "\(target.segments) resolved to the dot file \(file.fileName)")
        return false
    }

    private static func inode(_ path: String) -> UInt64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_ino)
    }
}
