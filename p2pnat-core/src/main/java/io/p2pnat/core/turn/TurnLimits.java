package io.p2pnat.core.turn;

import java.time.Duration;

/** Fixed numbers of RFC 8656 and the error codes of its §19 (plus RFC 8489's). */
public final class TurnLimits {
    /** §6: "the default lifetime value of 600 seconds (10 minutes)". */
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(600);
    /** §9: "The Permission Lifetime MUST be 300 seconds (= 5 minutes)". */
    public static final Duration PERMISSION_LIFETIME = Duration.ofSeconds(300);
    /** §12: "A channel binding lasts for 10 minutes unless refreshed". */
    public static final Duration CHANNEL_LIFETIME = Duration.ofSeconds(600);
    /** §7.2: the server "MUST hold this reservation for at least 30 seconds". */
    public static final Duration RESERVATION_LIFETIME = Duration.ofSeconds(30);
    /** §12: channel numbers 0x4000 through 0x4FFF. */
    public static final int CHANNEL_MIN = 0x4000;
    public static final int CHANNEL_MAX = 0x4FFF;
    /** RFC 5766 §11: channel numbers 0x4000 through 0x7FFF. */
    public static final int CHANNEL_MAX_RFC5766 = 0x7FFF;
    /** §18.8: "This specification only allows the use of code point 17 (User Datagram Protocol)". */
    public static final int PROTOCOL_UDP = 17;

    /** RFC 8656 §18.11 ADDITIONAL-ADDRESS-FAMILY (not in the wire constants). */
    public static final int ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000;
    /** RFC 8656 §18.12 ADDRESS-ERROR-CODE. */
    public static final int ATTR_ADDRESS_ERROR_CODE = 0x8001;

    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int FORBIDDEN = 403;
    public static final int UNKNOWN_ATTRIBUTE = 420;
    public static final int ALLOCATION_MISMATCH = 437;
    public static final int STALE_NONCE = 438;
    public static final int ADDRESS_FAMILY_NOT_SUPPORTED = 440;
    public static final int WRONG_CREDENTIALS = 441;
    public static final int UNSUPPORTED_TRANSPORT = 442;
    public static final int PEER_ADDRESS_FAMILY_MISMATCH = 443;
    public static final int ALLOCATION_QUOTA_REACHED = 486;
    public static final int INSUFFICIENT_CAPACITY = 508;

    private TurnLimits() {
    }

    /** The reason phrases RFC 8489 §14.8 and RFC 8656 §19 suggest. */
    public static String reason(int code) {
        return switch (code) {
            case BAD_REQUEST -> "Bad Request";
            case UNAUTHORIZED -> "Unauthorized";
            case FORBIDDEN -> "Forbidden";
            case UNKNOWN_ATTRIBUTE -> "Unknown Attribute";
            case ALLOCATION_MISMATCH -> "Allocation Mismatch";
            case STALE_NONCE -> "Stale Nonce";
            case ADDRESS_FAMILY_NOT_SUPPORTED -> "Address Family not Supported";
            case WRONG_CREDENTIALS -> "Wrong Credentials";
            case UNSUPPORTED_TRANSPORT -> "Unsupported Transport Protocol";
            case PEER_ADDRESS_FAMILY_MISMATCH -> "Peer Address Family Mismatch";
            case ALLOCATION_QUOTA_REACHED -> "Allocation Quota Reached";
            case INSUFFICIENT_CAPACITY -> "Insufficient Capacity";
            default -> "Error";
        };
    }
}
