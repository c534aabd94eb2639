#include "gaterouter/http/response_writer.hpp"

namespace gaterouter::http {

awaitable<error_code> ResponseWriter::send(Response res) {
    status_ = res.result();
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    headers_sent_ = true;
    error_code ec;
    stream_.expires_after(write_timeout_);
    bytes_sent_ += co_await bhttp::async_write(stream_, res, with_ec(ec));
    complete_ = !ec;
    co_return ec;
}

awaitable<error_code> ResponseWriter::start_stream(bhttp::response<bhttp::empty_body> header) {
    status_ = header.result();
    header.keep_alive(keep_alive_);
    header.chunked(true);
    headers_sent_ = true;
    bhttp::response_serializer<bhttp::empty_body> serializer{header};
    error_code ec;
    stream_.expires_after(write_timeout_);
    bytes_sent_ += co_await bhttp::async_write_header(stream_, serializer, with_ec(ec));
    co_return ec;
}

awaitable<error_code> ResponseWriter::write_chunk(std::string_view data) {
    if (data.empty()) co_return error_code{};  // an empty chunk would end the body
    error_code ec;
    stream_.expires_after(write_timeout_);
    bytes_sent_ += co_await net::async_write(
        stream_, bhttp::make_chunk(net::buffer(data.data(), data.size())), with_ec(ec));
    co_return ec;
}

awaitable<error_code> ResponseWriter::finish_stream() {
    error_code ec;
    stream_.expires_after(write_timeout_);
    bytes_sent_ += co_await net::async_write(stream_, bhttp::make_chunk_last(), with_ec(ec));
    complete_ = !ec;
    co_return ec;
}

}  // namespace gaterouter::http
