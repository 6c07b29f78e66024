/* The relay's fan-out loop in C: one incoming packet to every subscriber whose track is in steady forwarding.
 *
 * forward.py's `Source.on_rtp` hands each packet here (`fan_out`). For every subscriber it does what the Python
 * path would (on_rtp's `forward` -> `Subscriber.enqueue` -> `OutTrack.advance` -> `DirectRtpSender.send`), on the
 * same Python objects and their attributes, when the track is in the common case: fed by this source, its
 * subscriber ready with nothing queued, the direct send path writable, no keyframe gate and no resync pending.
 * Then it maps the sequence number and timestamp, records the packet in the track's NACK history, counts it,
 * rewrites the header, stamps the relay's send time, SRTP-protects it with libsrtp (pylibsrtp's own
 * `srtp_protect`, whose address `bind` is given) and sends it on the pair's socket. Every other case is
 * handed to the Python path (`forward(sub, out)`), which stays the one reference for what a subscriber gets:
 * this file decides nothing the Python code does not decide the same way
 * (tests/webrtc/relay/test_fanout.py checks both give the same packets and the same state).
 *
 * What it saves is the interpreter's per-subscriber work, not the system call or the encryption, which Python
 * already spent in C: benchmarks/relay.py --mode slope --python-loop measures the two loops side by side.
 *
 * The fields it touches for every packet are kept in C, as the base classes of the Python objects that own them
 * (below: `TrackFields` under OutTrack, `RewriterFields` under StreamRewriter, `SenderFields` under
 * DirectRtpSender, and `History`, OutTrack.history): Python reads and writes them as attributes as before, and the
 * loop reads and counts them without a Python int, a tuple or a dict entry per packet. Without the extension those
 * classes have pure-Python bases with the same fields.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <stdint.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* libsrtp 2's srtp_protect(srtp_t ctx, void *rtp_hdr, int *len_ptr), as pylibsrtp 1.0 binds it. */
typedef int (*protect_fn)(void *, void *, int *);
static protect_fn protect = NULL;
/* From `bind`: aiortc's State.CONNECTED, the largest packet the direct path takes (seams.DIRECT_MAX_PACKET). */
static PyObject *connected = NULL;
static Py_ssize_t max_packet = 0;
static PyObject *one = NULL; /* the nominated pair's component */

/* The largest packet sent from here (seams.DIRECT_MAX_PACKET is 1500) plus libsrtp's trailer. */
#define BUFFER_SIZE 4096
#define TRAILER_ROOM 256

#define TEMPLATE_CACHE 8

/* An attribute the loop reads or writes, with where it lives in the last type it was found on: the relay's objects
 * (Subscriber, OutTrack, StreamRewriter, DirectRtpSender) keep their attributes in __slots__, which are read and
 * written here straight from the object, the offset looked up once per type (`find`). Anything else (an attribute
 * that is not a slot, an object of another type) goes through the generic getattr/setattr. */
typedef struct {
    const char *text;
    PyObject *name;     /* interned at import */
    PyTypeObject *type; /* the type `offset` was found on (a strong reference: it never changes meaning) */
    Py_ssize_t offset;  /* of the slot in objects of `type`; 0 when it is not a writable object slot */
} Attr;

static Attr a__state = {"_state", NULL, NULL, 0};
static Attr a__send_rtp = {"_send_rtp", NULL, NULL, 0};
static Attr a__tx_srtp = {"_tx_srtp", NULL, NULL, 0};
static Attr a__srtp = {"_srtp", NULL, NULL, 0};
static Attr a__nominated = {"_nominated", NULL, NULL, 0};
static Attr a__pair = {"_pair", NULL, NULL, 0};
static Attr a__buffer_fields = {"_buffer_fields", NULL, NULL, 0};
static Attr a__buffer_size = {"_buffer_size", NULL, NULL, 0};
static Attr a__buffered = {"_buffered", NULL, NULL, 0};
static Attr a_tracks = {"tracks", NULL, NULL, 0};
static Attr a_source = {"source", NULL, NULL, 0};
static Attr a_pending = {"pending", NULL, NULL, 0};
static Attr a_ready = {"ready", NULL, NULL, 0};
static Attr a_template_key = {"template_key", NULL, NULL, 0};
static Attr a_red_form = {"red_form", NULL, NULL, 0};
static Attr a_queue = {"queue", NULL, NULL, 0};
static Attr a_writing = {"writing", NULL, NULL, 0};
static Attr a_direct = {"direct", NULL, NULL, 0};
static Attr a_writable = {"writable", NULL, NULL, 0};
static Attr a_pt_by_mime = {"pt_by_mime", NULL, NULL, 0};
static Attr a_waiting_keyframe = {"waiting_keyframe", NULL, NULL, 0};
static Attr a_need_resync = {"need_resync", NULL, NULL, 0};
static Attr a_rewriter = {"rewriter", NULL, NULL, 0};
static Attr a_history = {"history", NULL, NULL, 0};
static Attr a_socket = {"_socket", NULL, NULL, 0};
static Attr a_sockaddr = {"_sockaddr", NULL, NULL, 0};
static Attr a_attrs = {"_attrs", NULL, NULL, 0};
static Attr a_udp = {"_udp", NULL, NULL, 0};
static Attr a_addr = {"_addr", NULL, NULL, 0};
static Attr a_sendto = {"sendto", NULL, NULL, 0};
static Attr a_fileno = {"fileno", NULL, NULL, 0};

/* A template: what Python's `template_for(out)` gave for a header layout (and RED form). */
typedef struct {
    PyObject *key;      /* out.template_key, compared by identity (OutTrack interns it) */
    PyObject *form;     /* the RED form's MIME type (None for a plain packet), by identity */
    long inner;         /* the RED form's inner payload type */
    PyObject *result;   /* (sent_mime, data, stamp_at) */
} Template;

/* OutTrack.history where the fan-out is compiled (forward.packet_history): per output sequence number modulo its
 * size, (sequence number, template, payload type, timestamp, where its abs-send-time is or -1), or None, as the
 * Python list held it; kept in C so that recording a packet builds no tuple. Python reads an entry as that tuple
 * and may write one (the Python path does, `OutTrack.advance`); the fan-out writes the fields. */
typedef struct {
    PyObject *data; /* the template (bytes); NULL: an empty entry */
    long long stamp_at;
    unsigned long ts;
    long seq;
    long pt;
} Entry;

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    Entry *entries;
} History;

static PyTypeObject HistoryType;

static PyObject *history_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Py_ssize_t size;
    static char *names[] = {"size", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n", names, &size)) return NULL;
    if (size <= 0 || size > 65536) {
        PyErr_Format(PyExc_ValueError, "history size %zd out of range (1 to 65536)", size);
        return NULL;
    }
    History *self = (History *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->entries = PyMem_Calloc((size_t)size, sizeof(Entry));
    if (self->entries == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->size = size;
    return (PyObject *)self;
}

static void history_dealloc(History *self) {
    if (self->entries != NULL) {
        for (Py_ssize_t i = 0; i < self->size; i++) Py_XDECREF(self->entries[i].data);
        PyMem_Free(self->entries);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t history_length(History *self) { return self->size; }

static PyObject *history_item(History *self, Py_ssize_t index) {
    if (index < 0 || index >= self->size) {
        PyErr_SetString(PyExc_IndexError, "history index out of range");
        return NULL;
    }
    Entry *entry = &self->entries[index];
    if (entry->data == NULL) Py_RETURN_NONE;
    return Py_BuildValue("(lOlkL)", entry->seq, entry->data, entry->pt, entry->ts, entry->stamp_at);
}

/* Record a packet (the fan-out's own write). */
static void history_put(History *self, long seq, PyObject *data, long pt, unsigned long ts, long long stamp_at) {
    Entry *entry = &self->entries[seq % self->size];
    PyObject *old = entry->data;
    Py_INCREF(data);
    entry->data = data;
    entry->seq = seq;
    entry->pt = pt;
    entry->ts = ts;
    entry->stamp_at = stamp_at;
    Py_XDECREF(old);
}

static int history_ass_item(History *self, Py_ssize_t index, PyObject *value) {
    if (index < 0 || index >= self->size) {
        PyErr_SetString(PyExc_IndexError, "history assignment index out of range");
        return -1;
    }
    if (value == NULL) {
        PyErr_SetString(PyExc_TypeError, "history entries cannot be deleted; assign None");
        return -1;
    }
    if (value == Py_None) {
        Py_CLEAR(self->entries[index].data);
        return 0;
    }
    long seq, pt;
    unsigned long ts;
    long long stamp_at;
    PyObject *data;
    if (!PyTuple_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "a history entry is a tuple or None");
        return -1;
    }
    if (!PyArg_ParseTuple(value, "lSlkL;a history entry is (seq, bytes, payload type, timestamp, stamp_at)", &seq,
                          &data, &pt, &ts, &stamp_at))
        return -1;
    if (seq < 0 || seq > 0xFFFF || seq % self->size != index) {
        PyErr_Format(PyExc_ValueError, "sequence number %ld does not belong at index %zd", seq, index);
        return -1;
    }
    history_put(self, seq, data, pt, ts, stamp_at);
    return 0;
}

static PySequenceMethods history_sequence = {
    .sq_length = (lenfunc)history_length,
    .sq_item = (ssizeargfunc)history_item,
    .sq_ass_item = (ssizeobjargproc)history_ass_item,
};

static PyTypeObject HistoryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lectern.webrtc.relay._fanout.History",
    .tp_basicsize = sizeof(History),
    .tp_dealloc = (destructor)history_dealloc,
    .tp_as_sequence = &history_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("History(size): a track's NACK history, as a fixed-size list of (seq, template, payload "
                        "type, timestamp, stamp_at) or None, kept in C (see _fanout.c)."),
    .tp_new = history_new,
};

/* The fields of rtp.py's StreamRewriter, kept in C: its base class where the extension is built. The fan-out maps
 * and advances them without a Python int per value; Python reads and writes them as ints as before (the offsets
 * may be None: before the first resync). */
typedef struct {
    PyObject_HEAD
    long long ssrc, next_seq, next_ts, clock_rate, last_in_ts, last_out_ts, seq_offset, ts_offset;
    char has_seq_offset, has_ts_offset;
} Rewriter;

static PyMemberDef rewriter_members[] = {
    {"ssrc", T_LONGLONG, offsetof(Rewriter, ssrc), 0, NULL},
    {"next_seq", T_LONGLONG, offsetof(Rewriter, next_seq), 0, NULL},
    {"next_ts", T_LONGLONG, offsetof(Rewriter, next_ts), 0, NULL},
    {"clock_rate", T_LONGLONG, offsetof(Rewriter, clock_rate), 0, NULL},
    {"last_in_ts", T_LONGLONG, offsetof(Rewriter, last_in_ts), 0, NULL},
    {"last_out_ts", T_LONGLONG, offsetof(Rewriter, last_out_ts), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* An offset: an int, or None before the first resync. `closure` says which. */
static PyObject *rewriter_get_offset(Rewriter *self, void *closure) {
    int ts = closure != NULL;
    if (!(ts ? self->has_ts_offset : self->has_seq_offset)) Py_RETURN_NONE;
    return PyLong_FromLongLong(ts ? self->ts_offset : self->seq_offset);
}

static int rewriter_set_offset(Rewriter *self, PyObject *value, void *closure) {
    int ts = closure != NULL;
    long long number = 0;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "an offset cannot be deleted; assign None");
        return -1;
    }
    if (value != Py_None) {
        number = PyLong_AsLongLong(value);
        if (number == -1 && PyErr_Occurred()) return -1;
    }
    if (ts) {
        self->ts_offset = number;
        self->has_ts_offset = value != Py_None;
    } else {
        self->seq_offset = number;
        self->has_seq_offset = value != Py_None;
    }
    return 0;
}

static PyGetSetDef rewriter_getset[] = {
    {"seq_offset", (getter)rewriter_get_offset, (setter)rewriter_set_offset, NULL, NULL},
    {"ts_offset", (getter)rewriter_get_offset, (setter)rewriter_set_offset, NULL, (void *)1},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject RewriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lectern.webrtc.relay._fanout.RewriterFields",
    .tp_basicsize = sizeof(Rewriter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("StreamRewriter's fields (rtp.py), kept in C for the fan-out."),
    .tp_members = rewriter_members,
    .tp_getset = rewriter_getset,
    .tp_new = PyType_GenericNew,
};

/* OutTrack's counters and stream epochs (out_track.py), kept in C: its base class where the extension is built, so
 * the fan-out reads the epochs and counts a packet without a Python int per value. Python reads and writes them as
 * before. */
typedef struct {
    PyObject_HEAD
    long long packets, octets, epoch, kept_epoch, srtp_errors;
    double last_send;
} Track;

static PyMemberDef track_members[] = {
    {"packets", T_LONGLONG, offsetof(Track, packets), 0, NULL},
    {"octets", T_LONGLONG, offsetof(Track, octets), 0, NULL},
    {"epoch", T_LONGLONG, offsetof(Track, epoch), 0, NULL},
    {"kept_epoch", T_LONGLONG, offsetof(Track, kept_epoch), 0, NULL},
    {"srtp_errors", T_LONGLONG, offsetof(Track, srtp_errors), 0, NULL},
    {"last_send", T_DOUBLE, offsetof(Track, last_send), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyObject *track_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)args;
    (void)kwargs;
    Track *self = (Track *)type->tp_alloc(type, 0); /* zeroed: no packets, no kept keyframe */
    if (self != NULL) self->epoch = -1;             /* no stream yet */
    return (PyObject *)self;
}

static PyTypeObject TrackType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lectern.webrtc.relay._fanout.TrackFields",
    .tp_basicsize = sizeof(Track),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("OutTrack's counters and stream epochs (out_track.py), kept in C for the fan-out."),
    .tp_members = track_members,
    .tp_new = track_new,
};

/* seams.py's DirectRtpSender's fields the fan-out uses per packet, kept in C (its base class where the extension is
 * built): the SRTP session's C handle (an address, set in Python when the sender resolves its pair), the packets
 * libsrtp refused, and what the fan-out sent that the DTLS transport's counters do not show yet (`settle` adds it
 * there, before aiortc's getStats reads them). */
typedef struct {
    PyObject_HEAD
    unsigned long long srtp_handle;
    long long errors, unsent_bytes, unsent_packets;
} Sender;

static PyMemberDef sender_members[] = {
    {"srtp_handle", T_ULONGLONG, offsetof(Sender, srtp_handle), 0, NULL},
    {"errors", T_LONGLONG, offsetof(Sender, errors), 0, NULL},
    {"unsent_bytes", T_LONGLONG, offsetof(Sender, unsent_bytes), 0, NULL},
    {"unsent_packets", T_LONGLONG, offsetof(Sender, unsent_packets), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SenderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lectern.webrtc.relay._fanout.SenderFields",
    .tp_basicsize = sizeof(Sender),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = PyDoc_STR("DirectRtpSender's per-packet fields (seams.py), kept in C for the fan-out."),
    .tp_members = sender_members,
    .tp_new = PyType_GenericNew,
};

/* Where a socket object keeps its descriptor (CPython's PySocketSockObject: sock_fd right after the object head),
 * checked by `bind` on a real socket; 0 when the check failed: then its fileno() is called. */
static PyTypeObject *socket_type = NULL;
static Py_ssize_t fd_offset = 0;

static void find(PyTypeObject *type, Attr *attr) {
    Py_INCREF(type);
    Py_XDECREF(attr->type);
    attr->type = type;
    attr->offset = 0;
    PyObject *descr = _PyType_Lookup(type, attr->name); /* borrowed; no exception set */
    if (descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX && !(member->flags & READONLY)) attr->offset = member->offset;
    }
}

/* obj.<attr>, a new reference; NULL with an exception on failure. */
static PyObject *get(PyObject *obj, Attr *attr) {
    if (Py_TYPE(obj) != attr->type) find(Py_TYPE(obj), attr);
    if (attr->offset > 0) {
        PyObject *value = *(PyObject **)((char *)obj + attr->offset);
        if (value != NULL) {
            Py_INCREF(value);
            return value;
        }
    }
    return PyObject_GetAttr(obj, attr->name);
}

/* Where obj.<attr> is held when it is a slot with a value: read there without a reference (none of these reads runs
 * Python code, so nothing can replace it meanwhile); NULL for the generic path. */
static PyObject **slot_of(PyObject *obj, Attr *attr) {
    if (Py_TYPE(obj) != attr->type) find(Py_TYPE(obj), attr);
    if (attr->offset <= 0) return NULL;
    PyObject **slot = (PyObject **)((char *)obj + attr->offset);
    return *slot != NULL ? slot : NULL;
}

/* An attribute's truth: 1, 0, or -1 on error. */
static int attr_true(PyObject *obj, Attr *name) {
    PyObject **slot = slot_of(obj, name);
    if (slot != NULL) {
        PyObject *value = *slot;
        if (value == Py_True) return 1;
        if (value == Py_False || value == Py_None) return 0;
        if (PyLong_CheckExact(value)) return PyObject_IsTrue(value); /* no Python code for an int */
    }
    PyObject *value = get(obj, name);
    if (value == NULL) return -1;
    int result = PyObject_IsTrue(value);
    Py_DECREF(value);
    return result;
}

/* Whether obj.<attr> is `expected` (by identity): 1, 0, or -1 on error. */
static int attr_is(PyObject *obj, Attr *name, PyObject *expected) {
    PyObject **slot = slot_of(obj, name);
    if (slot != NULL) return *slot == expected;
    PyObject *value = get(obj, name);
    if (value == NULL) return -1;
    Py_DECREF(value);
    return value == expected;
}

/* obj.<attr>[key], a new reference; NULL with no exception set when the key is missing, with one on error. */
static PyObject *item(PyObject *obj, Attr *attr, PyObject *key) {
    PyObject *mapping = get(obj, attr);
    if (mapping == NULL) return NULL;
    PyObject *value = PyObject_GetItem(mapping, key);
    Py_DECREF(mapping);
    if (value == NULL && PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
    return value;
}



/* The template for `out`: from this packet's cache, else from Python (and kept). New reference, or NULL. */
static PyObject *template_of(PyObject *out, int red, PyObject *template_for, Template *cache, int *cached) {
    PyObject *key = get(out, &a_template_key);
    if (key == NULL) return NULL;
    PyObject *form = Py_None;
    long inner = 0;
    PyObject *red_form = NULL;
    if (red) {
        red_form = PyObject_CallMethodNoArgs(out, a_red_form.name);
        if (red_form == NULL || !PyTuple_Check(red_form) || PyTuple_GET_SIZE(red_form) != 2) {
            if (red_form != NULL) PyErr_SetString(PyExc_TypeError, "red_form() must give (mime, payload type)");
            Py_DECREF(key);
            Py_XDECREF(red_form);
            return NULL;
        }
        form = PyTuple_GET_ITEM(red_form, 0);
        inner = PyLong_AsLong(PyTuple_GET_ITEM(red_form, 1));
        if (inner == -1 && PyErr_Occurred()) {
            Py_DECREF(key);
            Py_DECREF(red_form);
            return NULL;
        }
    }
    PyObject *result = NULL;
    for (int i = 0; i < *cached; i++) {
        if (cache[i].key == key && cache[i].form == form && cache[i].inner == inner) {
            result = cache[i].result;
            Py_INCREF(result);
            break;
        }
    }
    if (result == NULL) {
        result = PyObject_CallOneArg(template_for, out);
        if (result != NULL && (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 3 ||
                               !PyBytes_Check(PyTuple_GET_ITEM(result, 1)))) {
            PyErr_SetString(PyExc_TypeError, "template_for() must give (mime, bytes, stamp_at)");
            Py_CLEAR(result);
        }
        if (result != NULL && *cached < TEMPLATE_CACHE) {
            Template *entry = &cache[(*cached)++];
            entry->key = key;
            Py_INCREF(key);
            entry->form = form;
            Py_INCREF(form);
            entry->inner = inner;
            entry->result = result;
            Py_INCREF(result);
        }
    }
    Py_DECREF(key);
    Py_XDECREF(red_form);
    return result;
}

/* DirectRtpSender.writable(size), read from the objects' fields: 1, 0, or -1 on error. Where the sender must look
 * again at its pair or SRTP session (`_resolve`), its own `writable` is called, which does. */
static int writable_now(PyObject *direct, Py_ssize_t size) {
    if (size > max_packet) return 0;
    int result = -1;
    PyObject *attrs = get(direct, &a_attrs), *nominated = NULL, *fields = NULL;
    if (attrs == NULL) return -1;
    if (!PyDict_Check(attrs)) {
        PyErr_SetString(PyExc_TypeError, "DirectRtpSender._attrs must be a dict");
        goto done;
    }
    /* The DTLS transport's own fields: its state, an override of `_send_rtp`, its SRTP session. */
    PyObject *state = PyDict_GetItemWithError(attrs, a__state.name);
    if (state == NULL && PyErr_Occurred()) goto done;
    PyObject *override = state == connected ? PyDict_GetItemWithError(attrs, a__send_rtp.name) : NULL;
    if (override == NULL && PyErr_Occurred()) goto done;
    if (state != connected || override != NULL) {
        result = 0;
        goto done;
    }
    PyObject *session = PyDict_GetItemWithError(attrs, a__tx_srtp.name);
    if (session == NULL && PyErr_Occurred()) goto done;
    nominated = get(direct, &a__nominated);
    if (nominated == NULL) goto done;
    PyObject *now_pair = PyDict_Check(nominated) ? PyDict_GetItemWithError(nominated, one) : NULL;
    if (now_pair == NULL && PyErr_Occurred()) goto done;
    int same_pair = attr_is(direct, &a__pair, now_pair), same_srtp = attr_is(direct, &a__srtp, session);
    if (same_pair < 0 || same_srtp < 0) goto done;
    if (!same_pair || !same_srtp) { /* changed: the sender's own check resolves them again */
        PyObject *size_obj = PyLong_FromSsize_t(size);
        PyObject *answer = size_obj == NULL ? NULL : PyObject_CallMethodOneArg(direct, a_writable.name, size_obj);
        Py_XDECREF(size_obj);
        result = answer == NULL ? -1 : PyObject_IsTrue(answer);
        Py_XDECREF(answer);
        goto done;
    }
    int no_udp = attr_is(direct, &a_udp, Py_None);
    if (no_udp != 0) {
        result = no_udp < 0 ? -1 : 0;
        goto done;
    }
    /* Nothing buffered by asyncio for the socket: its `_buffer_size` where the sender found asyncio's own
     * transport (`_buffer_fields`), else what `get_write_buffer_size` says. */
    fields = get(direct, &a__buffer_fields);
    if (fields == NULL) goto done;
    PyObject *buffered = PyDict_Check(fields) ? PyDict_GetItemWithError(fields, a__buffer_size.name) : NULL;
    if (buffered == NULL && PyErr_Occurred()) goto done;
    if (buffered != NULL) {
        int full = PyObject_IsTrue(buffered);
        result = full < 0 ? -1 : !full;
        goto done;
    }
    PyObject *method = get(direct, &a__buffered);
    PyObject *answer = method == NULL ? NULL : PyObject_CallNoArgs(method);
    Py_XDECREF(method);
    if (answer != NULL) {
        int full = PyObject_IsTrue(answer);
        result = full < 0 ? -1 : !full;
        Py_DECREF(answer);
    }
done:
    Py_XDECREF(fields);
    Py_XDECREF(nominated);
    Py_DECREF(attrs);
    return result;
}

/* 1 when the subscriber's track can take this packet on the fast path, 0 when it must go the Python way, -1 on
 * error. On 1, *pt_out holds the payload type; *skip says the Python path would send nothing (no payload type). */
static int steady(PyObject *sub, PyObject *out, PyObject *direct, PyObject *sent_mime, Py_ssize_t size, long epoch,
                  long *pt_out, int *skip) {
    *skip = 0;
    PyObject *queue = get(sub, &a_queue);
    if (queue == NULL) return -1;
    Py_ssize_t queued = PyObject_Length(queue);
    Py_DECREF(queue);
    if (queued < 0) return -1;
    if (queued > 0) return 0;
    int writing = attr_true(sub, &a_writing);
    if (writing != 0) return writing < 0 ? -1 : 0;
    if (!PyObject_TypeCheck(direct, &SenderType)) return 0; /* None, or not on SenderFields: the Python path */
    int can = writable_now(direct, size);
    if (can <= 0) return can;
    PyObject *pt = item(out, &a_pt_by_mime, sent_mime);
    if (pt == NULL) {
        if (PyErr_Occurred()) return -1;
        *skip = 1; /* no payload type for it: nothing is sent (OutTrack.advance) */
        return 1;
    }
    *pt_out = PyLong_AsLong(pt);
    Py_DECREF(pt);
    if (*pt_out == -1 && PyErr_Occurred()) return -1;
    /* Its counters and epochs in C (out_track.py's OutTrack on TrackFields): else the Python path. */
    if (!PyObject_TypeCheck(out, &TrackType)) return 0;
    Track *track = (Track *)out;
    if (track->kept_epoch != 0 || track->epoch != epoch) return 0;
    int flag = attr_true(out, &a_waiting_keyframe);
    if (flag != 0) return flag < 0 ? -1 : 0;
    flag = attr_true(out, &a_need_resync);
    if (flag != 0) return flag < 0 ? -1 : 0;
    /* Its rewriter's fields in C (rtp.py's StreamRewriter on RewriterFields), resynced: else the Python path. */
    PyObject *rw = get(out, &a_rewriter);
    if (rw == NULL) return -1;
    int fields = PyObject_TypeCheck(rw, &RewriterType) && ((Rewriter *)rw)->has_seq_offset &&
                 ((Rewriter *)rw)->has_ts_offset;
    Py_DECREF(rw);
    return fields;
}

/* Send the protected packet in `buffer` on the pair's socket; asyncio's own sendto when the socket will not take
 * it now (it queues the datagram, or reports the error to the protocol, as it would for aiortc's path). */
static int send_packet(PyObject *direct, const unsigned char *buffer, int size) {
    PyObject *sock = get(direct, &a_socket);
    if (sock == NULL) return -1;
    long fd = -1; /* no socket of asyncio's own (None): the transport's sendto below */
    if (fd_offset > 0 && PyObject_TypeCheck(sock, socket_type)) {
        fd = *(int *)((char *)sock + fd_offset); /* -1 once closed: the transport's sendto, as for fileno() */
        Py_DECREF(sock);
    } else if (sock != Py_None) {
        PyObject *fd_obj = PyObject_CallMethodNoArgs(sock, a_fileno.name);
        Py_DECREF(sock);
        if (fd_obj == NULL) return -1;
        fd = PyLong_AsLong(fd_obj);
        Py_DECREF(fd_obj);
        if (fd == -1 && PyErr_Occurred()) return -1;
    } else {
        Py_DECREF(sock);
    }
    PyObject *sockaddr = get(direct, &a_sockaddr);
    if (sockaddr == NULL) return -1;
    if (!PyBytes_Check(sockaddr)) {
        Py_DECREF(sockaddr);
        PyErr_SetString(PyExc_TypeError, "DirectRtpSender._sockaddr must be bytes");
        return -1;
    }
    ssize_t sent = -1;
    if (fd >= 0) {
        sent = sendto((int)fd, buffer, (size_t)size, MSG_DONTWAIT, (const struct sockaddr *)PyBytes_AS_STRING(sockaddr),
                      (socklen_t)PyBytes_GET_SIZE(sockaddr));
    }
    Py_DECREF(sockaddr);
    if (sent == size) return 0;
    PyObject *udp = get(direct, &a_udp);
    if (udp == NULL) return -1;
    PyObject *addr = get(direct, &a_addr);
    PyObject *data = PyBytes_FromStringAndSize((const char *)buffer, size);
    PyObject *result = NULL;
    if (addr != NULL && data != NULL) result = PyObject_CallMethodObjArgs(udp, a_sendto.name, data, addr, NULL);
    Py_DECREF(udp);
    Py_XDECREF(addr);
    Py_XDECREF(data);
    if (result == NULL) return -1;
    Py_DECREF(result);
    return 0;
}

/* The fast path for one subscriber's track: map, record, count, rewrite, stamp, protect, send. */
static int forward_fast(PyObject *out, PyObject *direct, PyObject *data, long pt, long in_seq, long long in_ts,
                        long long stamp_at, double now) {
    Rewriter *rw = (Rewriter *)get(out, &a_rewriter); /* steady() checked its type and offsets */
    if (rw == NULL) return -1;
    int status = -1;
    PyObject *history = NULL, *entry = NULL;
    long out_seq = (long)((in_seq + rw->seq_offset) & 0xFFFF);
    unsigned long long out_ts = (unsigned long long)(in_ts + rw->ts_offset) & 0xFFFFFFFFULL;
    if (((out_seq - rw->next_seq) & 0xFFFF) < 0x8000) { /* the same as, or newer than, the next expected */
        rw->next_seq = (out_seq + 1) & 0xFFFF;
        rw->last_in_ts = in_ts;
        rw->last_out_ts = (long long)out_ts;
    }
    long ssrc_long = (long)rw->ssrc;
    history = get(out, &a_history);
    if (history == NULL) goto done;
    if (Py_IS_TYPE(history, &HistoryType)) {
        history_put((History *)history, out_seq, data, pt, (unsigned long)out_ts, stamp_at);
    } else {
        if (!PyList_Check(history) || PyList_GET_SIZE(history) == 0) {
            PyErr_SetString(PyExc_TypeError, "OutTrack.history must be a History or a non-empty list");
            goto done;
        }
        entry = Py_BuildValue("(lOlKL)", out_seq, data, pt, out_ts, stamp_at);
        if (entry == NULL) goto done;
        if (PyList_SetItem(history, out_seq % PyList_GET_SIZE(history), entry) < 0) { /* steals entry */
            entry = NULL;
            goto done;
        }
        entry = NULL;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    Track *track = (Track *)out; /* steady() checked its type */
    track->packets += 1;
    track->octets += size - 12;
    track->last_send = now;

    /* The packet: its header rewritten, the send time stamped, SRTP-protected in place. */
    if (size + TRAILER_ROOM > BUFFER_SIZE || size < 12) {
        PyErr_SetString(PyExc_ValueError, "packet size out of range for the fan-out");
        goto done;
    }
    Sender *sender = (Sender *)direct; /* steady() checked its type */
    void *handle = (void *)(uintptr_t)sender->srtp_handle;
    if (handle == NULL) {
        PyErr_SetString(PyExc_ValueError, "no SRTP session");
        goto done;
    }
    /* On the stack: no Python runs between filling it and sending it. */
    unsigned char buffer[BUFFER_SIZE];
    const unsigned char *src = (const unsigned char *)PyBytes_AS_STRING(data);
    unsigned long ssrc = (unsigned long)ssrc_long;
    memcpy(buffer, src, (size_t)size);
    buffer[1] = (unsigned char)((src[1] & 0x80) | (pt & 0x7F));
    buffer[2] = (unsigned char)(out_seq >> 8);
    buffer[3] = (unsigned char)out_seq;
    buffer[4] = (unsigned char)(out_ts >> 24);
    buffer[5] = (unsigned char)(out_ts >> 16);
    buffer[6] = (unsigned char)(out_ts >> 8);
    buffer[7] = (unsigned char)out_ts;
    buffer[8] = (unsigned char)(ssrc >> 24);
    buffer[9] = (unsigned char)(ssrc >> 16);
    buffer[10] = (unsigned char)(ssrc >> 8);
    buffer[11] = (unsigned char)ssrc;
    if (stamp_at >= 0 && stamp_at + 3 <= size) { /* abs-send-time: 6.18 fixed point seconds, 24 bits */
        struct timespec clock;
        clock_gettime(CLOCK_MONOTONIC, &clock);
        double seconds = (double)clock.tv_sec + (double)clock.tv_nsec * 1e-9;
        unsigned long stamp = (unsigned long)((long long)(seconds * 262144.0) & 0xFFFFFF);
        buffer[stamp_at] = (unsigned char)(stamp >> 16);
        buffer[stamp_at + 1] = (unsigned char)(stamp >> 8);
        buffer[stamp_at + 2] = (unsigned char)stamp;
    }
    int length = (int)size;
    if (protect(handle, buffer, &length) != 0) { /* refused (e.g. a sequence number already protected): counted */
        track->srtp_errors += 1;
        sender->errors += 1;
        status = 0;
        goto done;
    }
    if (send_packet(direct, buffer, length) < 0) goto done;
    sender->unsent_bytes += length; /* the transport's counters, at the next settle() */
    sender->unsent_packets += 1;
    status = 0;
done:
    Py_XDECREF(entry);
    Py_XDECREF(history);
    Py_DECREF(rw);
    return status;
}

/* One subscriber: the fast path when its track is steady, else the Python path. 0, or -1 on error. */
static int fan_to(PyObject *sub, PyObject *source, PyObject *kind, int red, long seq, long long ts, int keyframe,
                  long epoch, double now, PyObject *template_for, PyObject *forward,
                  Template *cache, int *cached) {
    PyObject *out = item(sub, &a_tracks, kind);
    if (out == NULL) return PyErr_Occurred() ? -1 : 0; /* no track of this kind */
    int status = -1, python = 0;
    PyObject *template = NULL, *direct = NULL;
    int fed = attr_is(out, &a_source, source);
    if (fed < 0) goto done;
    if (!fed) {
        int pending = attr_is(out, &a_pending, source);
        if (pending < 0) goto done;
        python = pending && keyframe; /* the switch to this version, at its keyframe */
        status = 0;
        goto done;
    }
    int ready = attr_true(sub, &a_ready);
    if (ready <= 0) { /* not connected yet: nothing is sent (Subscriber.enqueue) */
        status = ready;
        goto done;
    }
    template = template_of(out, red, template_for, cache, cached);
    if (template == NULL) goto done;
    PyObject *sent_mime = PyTuple_GET_ITEM(template, 0), *data = PyTuple_GET_ITEM(template, 1);
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    if (size == 0) { /* unreadable for this subscriber's form */
        status = 0;
        goto done;
    }
    long long stamp_at = PyLong_AsLongLong(PyTuple_GET_ITEM(template, 2));
    if (stamp_at == -1 && PyErr_Occurred()) goto done;
    direct = get(out, &a_direct);
    if (direct == NULL) goto done;
    long pt = 0;
    int skip = 0;
    int fast = steady(sub, out, direct, sent_mime, size, epoch, &pt, &skip);
    if (fast < 0) goto done;
    if (!fast) {
        python = 1;
        status = 0;
        goto done;
    }
    status = skip ? 0 : forward_fast(out, direct, data, pt, seq, ts, stamp_at, now);
done:
    if (status == 0 && python) {
        PyObject *result = PyObject_CallFunctionObjArgs(forward, sub, out, NULL);
        if (result == NULL)
            status = -1;
        else
            Py_DECREF(result);
    }
    Py_XDECREF(direct);
    Py_XDECREF(template);
    Py_DECREF(out);
    return status;
}

PyDoc_STRVAR(fan_out_doc,
             "fan_out(source, subscribers, kind, red, seq, ts, keyframe, epoch, template_for, forward)\n\n"
             "Send one packet of `source` to every subscriber in `subscribers` with a track of `kind`: steady tracks "
             "here, the others through `forward(sub, out)`. `template_for(out)` gives (mime, data, stamp_at) for a "
             "track's header layout; `red` says the packet is RED, whose form depends on the track (red_form()).");

static PyObject *fan_out(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "fan_out() takes 10 arguments");
        return NULL;
    }
    if (protect == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "fan_out() before bind()");
        return NULL;
    }
    PyObject *source = args[0], *subscribers = args[1], *kind = args[2];
    int red = PyObject_IsTrue(args[3]);
    long seq = PyLong_AsLong(args[4]);
    long long ts = PyLong_AsLongLong(args[5]);
    int keyframe = PyObject_IsTrue(args[6]);
    long epoch = PyLong_AsLong(args[7]);
    PyObject *template_for = args[8], *forward = args[9];
    if (PyErr_Occurred() || red < 0 || keyframe < 0) return NULL;
    if (!PyList_Check(subscribers)) {
        PyErr_SetString(PyExc_TypeError, "subscribers must be a list");
        return NULL;
    }
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock); /* time.monotonic() */
    double now = (double)clock.tv_sec + (double)clock.tv_nsec * 1e-9;
    Template cache[TEMPLATE_CACHE];
    int cached = 0, status = 0;
    /* By index, as a Python for loop does: the Python path may add or remove subscribers. */
    for (Py_ssize_t i = 0; status == 0 && i < PyList_GET_SIZE(subscribers); i++) {
        PyObject *sub = PyList_GET_ITEM(subscribers, i);
        Py_INCREF(sub);
        status = fan_to(sub, source, kind, red, seq, ts, keyframe, epoch, now, template_for, forward, cache,
                        &cached);
        Py_DECREF(sub);
    }
    for (int i = 0; i < cached; i++) {
        Py_DECREF(cache[i].key);
        Py_DECREF(cache[i].form);
        Py_DECREF(cache[i].result);
    }
    if (status < 0) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(bind_doc,
             "bind(protect_address, connected, max_packet, probe)\n\nWhat the loop needs from pylibsrtp and aiortc, given "
             "once by seams.compiled_fan_out(): the address of libsrtp 2's srtp_protect(srtp_t, void *, int *), "
             "aiortc's RTCDtlsTransport State.CONNECTED, the largest packet the direct path takes, and an open "
             "socket, to find where socket objects keep their descriptor (else fileno() is called per packet). "
             "Returns whether it was found there.");

static PyObject *bind_loop(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *address, *state, *probe;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "OOnO", &address, &state, &size, &probe)) return NULL;
    void *pointer = PyLong_AsVoidPtr(address);
    if (pointer == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a null srtp_protect");
        return NULL;
    }
    if (size <= 0 || size + TRAILER_ROOM > BUFFER_SIZE) {
        PyErr_Format(PyExc_ValueError, "max_packet %zd out of range", size);
        return NULL;
    }
    /* The probe socket's descriptor where CPython keeps it: read there from then on, if it is where expected. */
    PyObject *fileno = PyObject_CallMethodNoArgs(probe, a_fileno.name);
    if (fileno == NULL) return NULL;
    long expected = PyLong_AsLong(fileno);
    Py_DECREF(fileno);
    if (expected == -1 && PyErr_Occurred()) return NULL;
    PyTypeObject *type = Py_TYPE(probe);
    while (type->tp_base != NULL && type->tp_base != &PyBaseObject_Type) type = type->tp_base; /* _socket.socket */
    int found = expected >= 0 && type->tp_basicsize >= (Py_ssize_t)(sizeof(PyObject) + sizeof(int)) &&
                *(int *)((char *)probe + sizeof(PyObject)) == (int)expected;
    Py_INCREF(type);
    Py_XSETREF(socket_type, type);
    fd_offset = found ? (Py_ssize_t)sizeof(PyObject) : 0;
    protect = (protect_fn)pointer;
    Py_INCREF(state);
    Py_XSETREF(connected, state);
    max_packet = size;
    return PyBool_FromLong(found);
}

PyDoc_STRVAR(sockaddr_doc,
             "sockaddr(host, port) -> bytes\n\nThe struct sockaddr (IPv4 or IPv6) for a numeric address, as sendto "
             "takes it.");

static PyObject *make_sockaddr(PyObject *module, PyObject *args) {
    (void)module;
    const char *host;
    int port;
    if (!PyArg_ParseTuple(args, "si", &host, &port)) return NULL;
    if (port < 0 || port > 65535) {
        PyErr_Format(PyExc_ValueError, "port %d out of range", port);
        return NULL;
    }
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int error = getaddrinfo(host, service, &hints, &found);
    if (error != 0 || found == NULL) {
        PyErr_Format(PyExc_ValueError, "not a numeric address: %s (%s)", host, gai_strerror(error));
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)found->ai_addr, (Py_ssize_t)found->ai_addrlen);
    freeaddrinfo(found);
    return result;
}

static PyMethodDef methods[] = {
    {"fan_out", (PyCFunction)(void (*)(void))fan_out, METH_FASTCALL, fan_out_doc},
    {"bind", bind_loop, METH_VARARGS, bind_doc},
    {"sockaddr", make_sockaddr, METH_VARARGS, sockaddr_doc},
    {NULL, NULL, 0, NULL},
};

static int intern_names(void) {
    one = PyLong_FromLong(1);
    if (one == NULL) return -1;
    Attr *attrs[] = {&a__state, &a__send_rtp, &a__tx_srtp, &a__srtp, &a__nominated, &a__pair, &a__buffer_fields,
                     &a__buffer_size, &a__buffered, &a_tracks, &a_source, &a_pending, &a_ready, &a_template_key, &a_red_form, &a_queue, &a_writing, &a_direct, &a_writable, &a_pt_by_mime, &a_waiting_keyframe, &a_need_resync, &a_rewriter, &a_history, &a_socket, &a_sockaddr, &a_attrs, &a_udp, &a_addr, &a_sendto, &a_fileno};
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        attrs[i]->name = PyUnicode_InternFromString(attrs[i]->text);
        if (attrs[i]->name == NULL) return -1;
    }
    return 0;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_fanout", "The relay's fan-out loop in C (see _fanout.c).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fanout(void) {
    if (intern_names() < 0 || PyType_Ready(&HistoryType) < 0 || PyType_Ready(&RewriterType) < 0 ||
        PyType_Ready(&TrackType) < 0 || PyType_Ready(&SenderType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "History", (PyObject *)&HistoryType) < 0 ||
        PyModule_AddObjectRef(module, "RewriterFields", (PyObject *)&RewriterType) < 0 ||
        PyModule_AddObjectRef(module, "TrackFields", (PyObject *)&TrackType) < 0 ||
        PyModule_AddObjectRef(module, "SenderFields", (PyObject *)&SenderType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
