@_exported import StrataCodec
