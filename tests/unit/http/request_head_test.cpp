#include "gaterouter/http/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace gaterouter;
using namespace gaterouter::http;

namespace {

// The verdict on a head ("\r\n\r\n" appended) that Beast itself accepts; "ok" when well framed, else the
// status and reason.
std::string verdict(const std::string& lines) {
    const std::string raw = lines + "\r\n";
    bhttp::request_parser<bhttp::empty_body> parser;
    error_code ec;
    parser.put(net::buffer(raw), ec);
    if (ec && ec != bhttp::error::need_more) return "beast refuses it: " + ec.message();
    const auto fault = check_request_head(raw, parser.get());
    if (!fault) return "ok";
    return std::to_string(static_cast<unsigned>(fault->status)) + " " + std::string(fault->reason);
}

}  // namespace

TEST(RequestHead, WellFramedHeadsPass) {
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\n"), "ok");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"), "ok");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"), "ok");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n"), "ok");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked ,\r\n"), "ok");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), "ok");
    EXPECT_EQ(verdict("GET / HTTP/1.0\r\n"), "ok");  // Host is an HTTP/1.1 requirement
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nX-Spaces: a  b\t c\r\n"), "ok");
}

TEST(RequestHead, ATransferEncodingNotEndingInChunkedIs400) {
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n"),
              "400 the last transfer coding is not chunked");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n"),
              "400 the last transfer coding is not chunked");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"),
              "400 the last transfer coding is not chunked");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n"),
              "400 the last transfer coding is not chunked");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n"),
              "400 chunked is applied more than once");
}

TEST(RequestHead, OtherCodingsBeforeChunkedAre501) {
    for (const char* te :
         {"gzip, chunked", "deflate, chunked", "identity, chunked", "x-new;q=0.5 , chunked"}) {
        EXPECT_EQ(verdict(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te + "\r\n"),
                  "501 no transfer coding other than chunked is supported")
            << te;
    }
    // Two fields are one list.
    EXPECT_EQ(
        verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"),
        "501 no transfer coding other than chunked is supported");
}

TEST(RequestHead, TransferEncodingWithContentLengthOrInHttp10Is400) {
    // Beast refuses a Content-Length after chunked, but not after a coding it does not know.
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n"),
              "400 Transfer-Encoding and Content-Length together");
    EXPECT_EQ(verdict("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"),
              "400 Transfer-Encoding in an HTTP/1.0 request");
}

TEST(RequestHead, HostMustBeThereOnceIn11AndNeverTwice) {
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\n"), "400 no Host header");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n"), "400 more than one Host header");
    EXPECT_EQ(verdict("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n"), "400 more than one Host header");
}

TEST(RequestHead, ObsFoldIs400) {
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n"),
              "400 a header line is folded (obs-fold)");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n"),
              "400 a header line is folded (obs-fold)");
    EXPECT_EQ(verdict("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip,\r\n chunked\r\n"),
              "400 a header line is folded (obs-fold)");
}

// What Beast refuses itself, so that the check need not: if a Beast upgrade stops refusing one of these, this
// test says so.
TEST(RequestHead, BeastRefusesTheRest) {
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n"),
              "beast refuses it: bad Content-Length");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n"),
              "beast refuses it: bad Content-Length");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"),
              "beast refuses it: bad Content-Length");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
              "beast refuses it: bad Transfer-Encoding");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\n Host: x\r\n"), "beast refuses it: bad field");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost : x\r\n"), "beast refuses it: bad field");
}
