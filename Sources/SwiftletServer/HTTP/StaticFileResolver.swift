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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a request target names under the web root.
package enum StaticFileResolution: Sendable {
    /// A regular file, opened for reading. Whoever receives it must close `file.handle`.
    case file(StaticFile)
    /// A directory asked for without the trailing slash: redirect to the slash form.
    case redirectToDirectory
    /// Nothing that may be served.
    case notFound(reason: String)
}

/// A regular file opened for serving.
package struct StaticFile: Sendable {
    /// The open file. The receiver owns it and must close it.
    package var handle: NIOFileHandle
    /// The size in bytes, from `fstat` of the open descriptor.
    package var size: Int
    /// The modification time, from `fstat` of the open descriptor.
    package var modificationSeconds: Int64
    /// The sub-second part of the modification time.
    package var modificationNanoseconds: Int64
    /// The last path component of the resolved file, which selects the `Content-Type`.
    package var fileName: String
}

/// Maps a checked ``StaticFileRequestTarget`` to a file under the root, with blocking system
/// calls.
///
/// > Warning: Every function here blocks. Call them on a thread pool (`NIOThreadPool`), never on
/// > an event loop.
///
/// The root and the target are both passed through `realpath(3)`, and the result must be the
/// root or lie below it. A symbolic link inside the root that points outside it is therefore
/// refused, and so is any path that escapes by a route the lexical check missed. The file is
/// then opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO must not block the pool thread) and checked
/// with `fstat` on the open descriptor, so size, time and type describe the bytes actually served.
///
/// > Note: Someone who can write inside the web root could swap a resolved component for a
/// > symbolic link between `realpath` and `open`. The web root is trusted content; this resolver
/// > defends against requests, not against local writers.
package enum StaticFileResolver {
    /// The file that `target` names under `root`.
    ///
    /// - Parameters:
    ///   - target: The checked request target.
    ///   - root: The web root; need not be canonical. A missing root makes everything not found.
    ///   - indexFileName: The file served for a directory.
    ///   - maxFileSize: Larger files are not served (``StaticFileResolution/notFound(reason:)``).
    package static func resolve(
        _ target: StaticFileRequestTarget,
        root: String,
        indexFileName: String,
        maxFileSize: Int
    ) -> StaticFileResolution {
        guard let canonicalRoot = Self.realPath(root) else {
            return .notFound(reason: "web root does not exist")
        }
        var candidate = canonicalRoot
        for segment in target.segments {
            candidate += "/" + segment
        }
        guard var path = Self.realPath(candidate), Self.isInside(path, root: canonicalRoot) else {
            return .notFound(reason: "no such file under the web root")
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            return .notFound(reason: "stat failed")
        }
        if Self.isDirectory(status) {
            guard target.isDirectoryForm else {
                return .redirectToDirectory
            }
            // The index may itself be a symbolic link: resolve and check it again.
            guard let index = Self.realPath(path + "/" + indexFileName), Self.isInside(index, root: canonicalRoot)
            else {
                return .notFound(reason: "directory without index")
            }
            path = index
        } else if target.isDirectoryForm {
            // "/file.txt/" names a directory that does not exist.
            return .notFound(reason: "not a directory")
        }

        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            return .notFound(reason: "open failed")
        }
        guard fstat(descriptor, &status) == 0, Self.isRegularFile(status) else {
            close(descriptor)
            return .notFound(reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= maxFileSize else {
            close(descriptor)
            return .notFound(reason: "file larger than the limit of \(maxFileSize) bytes")
        }
        #if canImport(Darwin)
        let modification = status.st_mtimespec
        #else
        let modification = status.st_mtim
        #endif
        return .file(
            StaticFile(
                handle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor),
                size: size,
                modificationSeconds: Int64(modification.tv_sec),
                modificationNanoseconds: Int64(modification.tv_nsec),
                fileName: String(path.split(separator: "/").last ?? "")
            )
        )
    }

    /// `realpath(3)`, or `nil` if the path does not resolve.
    package static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the canonical `path` is `root` or below it. Both must come from `realpath`.
    ///
    /// Compares bytes, not `String`s: `String` equality is Unicode canonical equivalence, and two
    /// byte-wise different file names are two different files.
    package static func isInside(_ path: String, root: String) -> Bool {
        if path.utf8.elementsEqual(root.utf8) { return true }
        let prefix = root.utf8.last == UInt8(ascii: "/") ? root : root + "/"
        return path.utf8.starts(with: prefix.utf8)
    }

    private static func isDirectory(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFDIR
    }

    private static func isRegularFile(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFREG
    }
}
