/*
 * nfq-delay: hold packets from an NFQUEUE for a fixed delay (plus optional
 * jitter and loss), then accept them.  A userspace stand-in for `tc netem`
 * on kernels built without sch_netem.
 *
 *   nfq-delay -q QUEUE -d DELAY_MS [-j JITTER_MS] [-l LOSS_PERCENT] [-s SEED]
 *             [-m MAXLEN] [-b RCVBUF_BYTES] [-r RT_PRIO] [-F]
 *
 * Design: every packet is stamped with CLOCK_MONOTONIC when its netlink
 * message is read and appended to a FIFO with its release time (arrival +
 * delay [+ jitter]).  Release times are forced to be non-decreasing, so the
 * FIFO is always sorted, packets leave in arrival order and nothing waits
 * behind a packet that is not yet due (no head-of-line blocking beyond the
 * ordering itself).  The main loop sleeps in ppoll() until either a packet
 * arrives or the head of the FIFO is due (ns timeout, 1 ns timer slack).
 * Due packets are accepted with one batch verdict (the kernel accepts every
 * queued packet with an id <= the given id; ids grow in arrival order and
 * dropped packets already got their NF_DROP verdict).
 *
 * Only metadata is copied to userspace (NFQNL_COPY_META); GSO packets are
 * passed unsegmented (NFQA_CFG_F_GSO).
 *
 * Fail-open: put `--queue-bypass` on the iptables rule so packets pass
 * undelayed while no nfq-delay is bound to the queue.  -F additionally asks
 * the kernel to accept (instead of drop) packets when the queue is full or
 * the netlink socket overflows.
 *
 * SIGTERM/SIGINT: drain what is readable, accept everything still held,
 * unbind, print a summary line, exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netfilter.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>

#define PROG "nfq-delay"

struct held {
    uint32_t id;
    uint64_t due_ns;
};

/* FIFO of held packets: a growable power-of-two ring. */
static struct held *ring;
static size_t ring_cap, ring_head, ring_len;

static uint64_t delay_ns, jitter_ns;
static double loss_frac;
static uint64_t last_due;
static uint64_t batch_now; /* arrival stamp for the messages of one recv() */

static struct {
    uint64_t seen, accepted, dropped_loss, enobufs, max_held;
    uint64_t late_max_ns, late_sum_ns, releases; /* release time - due time */
} st;

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig) { stop_sig = sig; }

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* splitmix64: small, seedable, good enough for loss/jitter decisions */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_unit(void) /* [0,1) */
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static void ring_push(uint32_t id, uint64_t due)
{
    if (ring_len == ring_cap) {
        size_t ncap = ring_cap ? ring_cap * 2 : 4096;
        struct held *n = malloc(ncap * sizeof *n);
        if (!n)
            die("out of memory (%zu held packets)", ring_len);
        for (size_t i = 0; i < ring_len; i++)
            n[i] = ring[(ring_head + i) & (ring_cap - 1)];
        free(ring);
        ring = n;
        ring_cap = ncap;
        ring_head = 0;
    }
    ring[(ring_head + ring_len) & (ring_cap - 1)] = (struct held){id, due};
    ring_len++;
    if (ring_len > st.max_held)
        st.max_held = ring_len;
}

static struct held *ring_front(void) { return &ring[ring_head]; }

/* Accept the first n held packets with one verdict. */
static void release(struct nfq_q_handle *qh, size_t n)
{
    if (n == 0)
        return;
    uint32_t last = ring[(ring_head + n - 1) & (ring_cap - 1)].id;
    int r = (n == 1) ? nfq_set_verdict(qh, last, NF_ACCEPT, 0, NULL)
                     : nfq_set_verdict_batch(qh, last, NF_ACCEPT);
    if (r < 0)
        fprintf(stderr, PROG ": verdict for id %u failed: %s\n", last, strerror(errno));
    ring_head = (ring_head + n) & (ring_cap - 1);
    ring_len -= n;
    st.accepted += n;
}

static void release_due(struct nfq_q_handle *qh, uint64_t now)
{
    size_t n = 0;
    while (n < ring_len && ring[(ring_head + n) & (ring_cap - 1)].due_ns <= now)
        n++;
    if (n) { /* lateness of the oldest packet released now */
        uint64_t late = now - ring_front()->due_ns;
        if (late > st.late_max_ns)
            st.late_max_ns = late;
        st.late_sum_ns += late;
        st.releases++;
    }
    release(qh, n);
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
                     struct nfq_data *nfa, void *data)
{
    (void)nfmsg;
    (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph)
        return 0;
    uint32_t id = ntohl(ph->packet_id);
    st.seen++;

    if (loss_frac > 0 && rng_unit() < loss_frac) {
        nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
        st.dropped_loss++;
        return 0;
    }

    int64_t d = (int64_t)delay_ns;
    if (jitter_ns)
        d += (int64_t)((rng_unit() * 2.0 - 1.0) * (double)jitter_ns);
    if (d < 0)
        d = 0;
    uint64_t due = batch_now + (uint64_t)d;
    if (due < last_due) /* keep FIFO order: never overtake an earlier packet */
        due = last_due;
    last_due = due;

    if (ring_len == 0 && due <= batch_now) { /* zero delay: pass at once */
        nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
        st.accepted++;
        return 0;
    }
    ring_push(id, due);
    return 0;
}

/* Read and handle up to max messages without blocking. Returns count read. */
static int drain(struct nfq_handle *h, int fd, char *buf, size_t bufsz, int max)
{
    int n = 0;
    while (n < max) {
        ssize_t r = recv(fd, buf, bufsz, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == ENOBUFS) { /* kernel dropped (or, with -F, accepted) some */
                if (st.enobufs++ == 0)
                    fprintf(stderr, PROG ": netlink socket overflow (ENOBUFS); "
                                    "packets were lost - raise -b\n");
                continue;
            }
            die("recv: %s", strerror(errno));
        }
        batch_now = now_ns();
        nfq_handle_packet(h, buf, (int)r);
        n++;
    }
    return n;
}

static double parse_num(const char *s, const char *what, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        die("bad %s '%s' (expected %g..%g)", what, s, lo, hi);
    return v;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " -q QUEUE -d DELAY_MS [-j JITTER_MS] [-l LOSS_PERCENT] [-s SEED]\n"
            "                 [-m MAXLEN] [-b RCVBUF_BYTES] [-r RT_PRIO] [-F]\n"
            "  -q  NFQUEUE number to bind (0..65535)\n"
            "  -d  delay in ms (fractions allowed), applied from arrival in userspace\n"
            "  -j  jitter: uniform +-J ms added per packet; order is preserved\n"
            "  -l  loss: drop this percentage of packets (0..100)\n"
            "  -s  PRNG seed for loss/jitter (default: from time and pid; logged)\n"
            "  -m  kernel queue length (default 65536); overflow drops unless -F\n"
            "  -b  netlink receive buffer in bytes (default 16777216)\n"
            "  -F  fail open: kernel accepts packets when queue/socket is full\n"
            "  -r  run SCHED_FIFO at this priority (1..99): fewer late releases under load\n"
            "Use with: iptables -A FORWARD -j NFQUEUE --queue-num Q --queue-bypass\n");
}

int main(int argc, char **argv)
{
    long queue = -1;
    double delay_ms = -1, jitter_ms = 0, loss_pct = 0;
    uint64_t seed = 0;
    int have_seed = 0, fail_open = 0, rt_prio = 0;
    uint32_t maxlen = 65536;
    unsigned rcvbuf = 16u << 20;
    int c;

    while ((c = getopt(argc, argv, "q:d:j:l:s:m:b:r:Fh")) != -1) {
        switch (c) {
        case 'q': queue = (long)parse_num(optarg, "queue", 0, 65535); break;
        case 'd': delay_ms = parse_num(optarg, "delay", 0, 600000); break;
        case 'j': jitter_ms = parse_num(optarg, "jitter", 0, 600000); break;
        case 'l': loss_pct = parse_num(optarg, "loss", 0, 100); break;
        case 's': {
            char *end;
            errno = 0;
            seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end)
                die("bad seed '%s'", optarg);
            have_seed = 1;
            break;
        }
        case 'm': maxlen = (uint32_t)parse_num(optarg, "maxlen", 1, 4294967295.0); break;
        case 'b': rcvbuf = (unsigned)parse_num(optarg, "rcvbuf", 65536, 1u << 30); break;
        case 'r': rt_prio = (int)parse_num(optarg, "rt priority", 1, 99); break;
        case 'F': fail_open = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || queue < 0 || delay_ms < 0) {
        usage(stderr);
        return 2;
    }
    if (!have_seed)
        seed = now_ns() ^ ((uint64_t)getpid() << 32);
    rng_state = seed;
    delay_ns = (uint64_t)llround(delay_ms * 1e6);
    jitter_ns = (uint64_t)llround(jitter_ms * 1e6);
    loss_frac = loss_pct / 100.0;

    /* Signals are blocked except while sleeping in ppoll(): no lost wakeups. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* ns-accurate ppoll() wakeups */
    if (rt_prio) {
        struct sched_param sp = {.sched_priority = rt_prio};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            fprintf(stderr, PROG ": warning: SCHED_FIFO %d: %s\n", rt_prio, strerror(errno));
    }

    struct nfq_handle *h = nfq_open();
    if (!h)
        die("nfq_open: %s (root / CAP_NET_ADMIN needed)", strerror(errno));
    struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
    if (!qh)
        die("cannot bind queue %ld: %s (already bound by another process?)", queue,
            strerror(errno));
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0)
        die("nfq_set_mode(COPY_META): %s", strerror(errno));
    if (nfq_set_queue_maxlen(qh, maxlen) < 0)
        fprintf(stderr, PROG ": warning: cannot set queue maxlen %u\n", maxlen);
    uint32_t flags = NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
    if (nfq_set_queue_flags(qh, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN, flags) < 0)
        fprintf(stderr, PROG ": warning: cannot set queue flags 0x%x\n", flags);
    nfnl_rcvbufsiz(nfq_nfnlh(h), rcvbuf);
    int fd = nfq_fd(h);

    fprintf(stderr,
            PROG ": queue %ld delay %.3f ms jitter +-%.3f ms loss %.3f%% seed %llu "
                 "maxlen %u rcvbuf %u%s%s pid %d\n",
            queue, delay_ms, jitter_ms, loss_pct, (unsigned long long)seed, maxlen,
            rcvbuf, fail_open ? " fail-open" : "", rt_prio ? " SCHED_FIFO" : "", (int)getpid());

    static char buf[65536] __attribute__((aligned));
    while (!stop_sig) {
        release_due(qh, now_ns());

        struct timespec ts, *tsp = NULL;
        if (ring_len) {
            uint64_t now = now_ns(), due = ring_front()->due_ns;
            uint64_t wait = due > now ? due - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            tsp = &ts;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = ppoll(&pfd, 1, tsp, &waitmask);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("ppoll: %s", strerror(errno));
        }
        if (r > 0 && (pfd.revents & (POLLIN | POLLERR)))
            drain(h, fd, buf, sizeof buf, 256); /* bounded: due packets are not starved */
    }

    /* Shutdown: take what is already queued to us (bounded, traffic may keep coming)
     * and let everything go. Packets the kernel queues after this are dropped when the
     * queue is destroyed; from then on the rule's --queue-bypass lets packets pass. */
    drain(h, fd, buf, sizeof buf, 65536);
    release(qh, ring_len);
    nfq_destroy_queue(qh);
    nfq_close(h);
    fprintf(stderr,
            PROG ": signal %d: seen %llu accepted %llu dropped(loss) %llu enobufs %llu "
                 "max-held %llu late-avg %.3f ms late-max %.3f ms\n",
            (int)stop_sig, (unsigned long long)st.seen, (unsigned long long)st.accepted,
            (unsigned long long)st.dropped_loss, (unsigned long long)st.enobufs,
            (unsigned long long)st.max_held,
            st.releases ? st.late_sum_ns / 1e6 / (double)st.releases : 0.0, st.late_max_ns / 1e6);
    return 0;
}
