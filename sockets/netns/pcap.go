package netns

import (
	"encoding/binary"
	"io"
	"time"
)

// A pcap file (the format of libpcap, tcpdump and Wireshark) is a 24-byte
// header, then each packet behind a 16-byte header of its own; the
// numbers are little-endian, and the magic number says the timestamps'
// fractions are nanoseconds.
const (
	pcapMagicNanos = 0xa1b23c4d
	linkEthernet   = 1 // LINKTYPE_ETHERNET
)

// WritePcapHeader writes a pcap file's header: packets of at most snapLen
// bytes, with Ethernet headers (lo's zeroed, as tcpdump shows them).
func WritePcapHeader(w io.Writer, snapLen int) error {
	var b [24]byte
	binary.LittleEndian.PutUint32(b[0:4], pcapMagicNanos)
	binary.LittleEndian.PutUint16(b[4:6], 2) // version 2.4
	binary.LittleEndian.PutUint16(b[6:8], 4)
	// 8:12 the time zone (UTC) and 12:16 the timestamps' accuracy stay 0
	binary.LittleEndian.PutUint32(b[16:20], uint32(snapLen))
	binary.LittleEndian.PutUint32(b[20:24], linkEthernet)
	_, err := w.Write(b[:])
	return err
}

// writePcapPacket writes one packet to a pcap file: captured at t, its
// captured bytes data, size bytes on the wire.
func writePcapPacket(w io.Writer, t time.Time, size int, data []byte) error {
	var b [16]byte
	binary.LittleEndian.PutUint32(b[0:4], uint32(t.Unix()))
	binary.LittleEndian.PutUint32(b[4:8], uint32(t.Nanosecond()))
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[12:16], uint32(max(size, len(data))))
	if _, err := w.Write(b[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
