/* The usb transport: a board's FTDI UART (iCEBreaker: FT2232H channel B;
 * ULX3S: FT231X) through libftdi1 on libusb-1.0. The transport exists even
 * while no board is connected: it then reports the device gone, the driver
 * runs jobs in software, and reopen() (called by the driver's health thread)
 * connects when a board appears. libftdi's context is not thread-safe: every
 * call holds the transport's mutex, and reads poll with a short USB timeout. */
#include <ftdi.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "transport.h"

#define READ_POLL_MS 2

struct usb_transport {
	fhsm_transport base;
	pthread_mutex_t mu;
	struct ftdi_context *ftdi; /* NULL while no board is connected */
	uint16_t vid, pid;
	char *serial;
	unsigned interface, baud;
	bool any_board; /* no VID:PID configured: try the known boards */
	char why[160];	/* why the last connect failed */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Mutex held. */
static void disconnect(struct usb_transport *u)
{
	if (!u->ftdi)
		return;
	ftdi_usb_close(u->ftdi);
	ftdi_free(u->ftdi);
	u->ftdi = NULL;
}

/* Mutex held. Opens the board and sets the UART up: 8N1 at the baud rate,
 * no flow control, 1 ms latency timer (the FTDI otherwise holds short
 * answers back for 16 ms), both FIFOs flushed. */
static fhsm_err connect_board(struct usb_transport *u)
{
	struct ftdi_context *f = ftdi_new();
	if (!f) {
		snprintf(u->why, sizeof u->why, "libftdi/libusb could not start");
		return FHSM_ERR_DEVICE;
	}
	const char *step = "set the channel";
	int rc = ftdi_set_interface(f, u->interface ? INTERFACE_B : INTERFACE_A);
	if (rc == 0 && (step = "open", rc = ftdi_usb_open_desc(f, u->vid, u->pid, NULL, u->serial)) == 0) {
		if ((step = "set the baud rate", rc = ftdi_set_baudrate(f, (int)u->baud)) == 0 &&
		    (step = "set 8N1", rc = ftdi_set_line_property(f, BITS_8, STOP_BIT_1, NONE)) == 0 &&
		    (step = "disable flow control", rc = ftdi_setflowctrl(f, SIO_DISABLE_FLOW_CTRL)) == 0 &&
		    (step = "set the latency timer", rc = ftdi_set_latency_timer(f, 1)) == 0 &&
		    (step = "flush", rc = ftdi_tcioflush(f)) == 0) {
			f->usb_read_timeout = READ_POLL_MS;
			f->usb_write_timeout = 1000;
			u->ftdi = f;
			u->why[0] = '\0';
			return FHSM_OK;
		}
		ftdi_usb_close(f);
	}
	snprintf(u->why, sizeof u->why, "%04x:%04x%s%s channel %c: %s: %s", u->vid, u->pid,
		 u->serial ? " serial " : "", u->serial ? u->serial : "", u->interface ? 'B' : 'A', step,
		 ftdi_get_error_string(f));
	ftdi_free(f);
	return FHSM_ERR_DEVICE;
}

/* The known boards, tried in this order when the configuration names none. */
static const struct { uint16_t vid, pid; unsigned interface; } known_boards[] = {
	{ 0x0403, 0x6010, 1 }, /* iCEBreaker: FT2232H, channel B is the UART */
	{ 0x0403, 0x6015, 0 }, /* ULX3S: FT231X */
};

/* Mutex held. */
static fhsm_err connect_any(struct usb_transport *u)
{
	if (!u->any_board)
		return connect_board(u);
	for (size_t i = 0; i < sizeof known_boards / sizeof *known_boards; i++) {
		u->vid = known_boards[i].vid;
		u->pid = known_boards[i].pid;
		u->interface = known_boards[i].interface;
		if (connect_board(u) == FHSM_OK)
			return FHSM_OK;
	}
	snprintf(u->why, sizeof u->why, "no iCEBreaker (0403:6010) or ULX3S (0403:6015) found");
	return FHSM_ERR_DEVICE;
}

static fhsm_err usb_send(fhsm_transport *t, const uint8_t *frames, size_t len)
{
	struct usb_transport *u = (struct usb_transport *)t;
	fhsm_err err = FHSM_OK;
	pthread_mutex_lock(&u->mu);
	while (len && err == FHSM_OK) {
		int n = u->ftdi ? ftdi_write_data(u->ftdi, frames, (int)(len > 65536 ? 65536 : len)) : -1;
		if (n <= 0) {
			disconnect(u); /* unplugged, or a USB error: gone until reopened */
			err = FHSM_ERR_DEVICE;
		} else {
			frames += n;
			len -= (size_t)n;
		}
	}
	pthread_mutex_unlock(&u->mu);
	return err;
}

static long usb_recv(fhsm_transport *t, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct usb_transport *u = (struct usb_transport *)t;
	uint64_t until = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		pthread_mutex_lock(&u->mu);
		int n = u->ftdi ? ftdi_read_data(u->ftdi, buf, (int)(cap > 65536 ? 65536 : cap)) : -1;
		if (n < 0)
			disconnect(u);
		pthread_mutex_unlock(&u->mu);
		if (n != 0)
			return n < 0 ? -1 : n;
		if (now_ms() >= until)
			return 0;
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
}

static fhsm_err usb_reopen(fhsm_transport *t)
{
	struct usb_transport *u = (struct usb_transport *)t;
	pthread_mutex_lock(&u->mu);
	fhsm_err err = u->ftdi ? FHSM_OK : connect_any(u);
	pthread_mutex_unlock(&u->mu);
	return err;
}

static void usb_note(fhsm_transport *t, char *buf, size_t len)
{
	struct usb_transport *u = (struct usb_transport *)t;
	pthread_mutex_lock(&u->mu);
	if (u->ftdi)
		snprintf(buf, len, "%04x:%04x channel %c at %u baud", u->vid, u->pid, u->interface ? 'B' : 'A', u->baud);
	else
		snprintf(buf, len, "%s", u->why);
	pthread_mutex_unlock(&u->mu);
}

static void usb_close(fhsm_transport *t)
{
	struct usb_transport *u = (struct usb_transport *)t;
	pthread_mutex_lock(&u->mu);
	disconnect(u);
	pthread_mutex_unlock(&u->mu);
	pthread_mutex_destroy(&u->mu);
	free(u->serial);
	free(u);
}

static const struct fhsm_transport_ops usb_ops = {
	.name = "usb", .send = usb_send, .recv = usb_recv, .reopen = usb_reopen, .note = usb_note,
	.close = usb_close,
};

fhsm_err fhsm_transport_usb_open(const struct fhsm_fabric_config *cfg, fhsm_transport **out)
{
	struct usb_transport *u = calloc(1, sizeof *u);
	if (!u)
		return FHSM_ERR_NOMEM;
	u->base.ops = &usb_ops;
	pthread_mutex_init(&u->mu, NULL);
	u->baud = cfg->baud ? cfg->baud : 3000000;
	if (cfg->usb_serial && !(u->serial = strdup(cfg->usb_serial))) {
		usb_close(&u->base);
		return FHSM_ERR_NOMEM;
	}
	u->any_board = !cfg->usb_vid && !cfg->usb_pid;
	u->vid = cfg->usb_vid;
	u->pid = cfg->usb_pid;
	u->interface = cfg->usb_interface;
	connect_any(u);
	/* No board now is not an error: the driver keeps looking (reopen). */
	*out = &u->base;
	return FHSM_OK;
}


bool fhsm_fabric_usb_present(const struct fhsm_fabric_config *cfg, char *why, size_t why_len)
{
	fhsm_transport *t;
	if (fhsm_transport_usb_open(cfg, &t) != FHSM_OK) {
		snprintf(why, why_len, "out of memory");
		return false;
	}
	struct usb_transport *u = (struct usb_transport *)t;
	bool found = u->ftdi != NULL;
	usb_note(t, why, why_len);
	usb_close(t);
	return found;
}
