package io.p2pnat.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The file transfer of {@code peer send} and {@code peer receive}, on one stream:
 * sender → receiver: "P2PF", version 1, name (u16 length + UTF-8), size (u64), the bytes, their
 * SHA-256; receiver → sender: status (0 stored, 1 checksum differs, 2 refused), the SHA-256 of what
 * it got, a message (u16 length + UTF-8).
 */
final class FileTransfer {
    static final byte[] MAGIC = "P2PF".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int STORED = 0;
    static final int CHECKSUM_DIFFERS = 1;
    static final int REFUSED = 2;
    static final int MAX_NAME_BYTES = 255;

    record Header(String name, long size) {
    }

    record Answer(int status, byte[] sha256, String message) {
    }

    private FileTransfer() {
    }

    static void writeHeader(DataOutputStream out, String name, long size) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.write(MAGIC);
        out.writeByte(VERSION);
        out.writeShort(n.length);
        out.write(n);
        out.writeLong(size);
    }

    /** Reads and checks the header; the message says what is wrong with a bad one. */
    static Header readHeader(DataInputStream in) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4 || !java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a p2pnat file transfer (no P2PF header)");
        }
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IOException("file transfer version " + version + " is not supported (this one speaks " + VERSION + ")");
        }
        int len = in.readUnsignedShort();
        if (len == 0 || len > MAX_NAME_BYTES) {
            throw new IOException("bad file name length " + len);
        }
        String name = new String(in.readNBytes(len), StandardCharsets.UTF_8);
        long size = in.readLong();
        if (size < 0) {
            throw new IOException("bad file size " + size);
        }
        return new Header(name, size);
    }

    /** A name safe to create in the receiving directory, or null: no paths, no dot names, no control characters. */
    static String safeName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(".")) {
            return null;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F) {
                return null;
            }
        }
        return name;
    }

    /** Copies exactly {@code size} bytes, hashing them; {@code progress} sees the running count. */
    static byte[] copy(InputStream in, OutputStream out, long size, java.util.function.LongConsumer progress) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[64 * 1024];
        long done = 0;
        while (done < size) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, size - done));
            if (n < 0) {
                throw new EOFException("the stream ended after " + done + " of " + size + " bytes");
            }
            out.write(buf, 0, n);
            sha.update(buf, 0, n);
            done += n;
            progress.accept(done);
        }
        return sha.digest();
    }

    static void writeAnswer(DataOutputStream out, int status, byte[] sha256, String message) throws IOException {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        out.writeByte(status);
        out.write(sha256);
        out.writeShort(Math.min(m.length, 1000));
        out.write(m, 0, Math.min(m.length, 1000));
        out.flush();
    }

    static Answer readAnswer(DataInputStream in) throws IOException {
        int status = in.readUnsignedByte();
        byte[] sha = in.readNBytes(32);
        if (sha.length < 32) {
            throw new EOFException("the receiver's answer was cut off");
        }
        int len = in.readUnsignedShort();
        return new Answer(status, sha, new String(in.readNBytes(len), StandardCharsets.UTF_8));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
