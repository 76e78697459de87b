namespace PushCompare.Metering;

/// <summary>What a <see cref="TlsRecordScanner"/> reports: one call per record, once its 5-byte header has been seen.</summary>
internal interface ITlsRecordSink
{
    void Record(byte contentType, int length);
}

/// <summary>
/// A passive, read-only TLS record-header reader (RFC 8446 §5.1, RFC 5246 §6.2) for one direction of a connection,
/// below TLS. It walks the 5-byte headers (content type, legacy version, length) and skips the (encrypted) bodies, in
/// chunks of any size; it never decrypts or checks anything (SslStream does that).
/// </summary>
internal struct TlsRecordScanner
{
    public const int HeaderLength = 5;
    public const byte ChangeCipherSpec = 20, Alert = 21, Handshake = 22, ApplicationData = 23;

    private int _bodyLeft;   // body bytes of the current record still to skip
    private int _headerSeen; // header bytes of the next record seen so far
    private byte _type;
    private int _length;

    public void Scan<TSink>(ReadOnlySpan<byte> data, TSink sink) where TSink : ITlsRecordSink
    {
        while (!data.IsEmpty)
        {
            if (_bodyLeft > 0)
            {
                int skip = Math.Min(_bodyLeft, data.Length);
                _bodyLeft -= skip;
                data = data[skip..];
                continue;
            }
            byte b = data[0];
            data = data[1..];
            switch (_headerSeen++)
            {
                case 0: _type = b; break;
                case 3: _length = b << 8; break;
                case 4:
                    _length |= b;
                    _headerSeen = 0;
                    _bodyLeft = _length;
                    sink.Record(_type, _length);
                    break;
            }
        }
    }
}
