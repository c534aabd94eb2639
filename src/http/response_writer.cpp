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
    pending_head_.clear();
    pending_head_.append("HTTP/1.1 ").append(std::to_string(header.result_int())).append(" ");
    pending_head_.append(header.reason()).append("\r\n");
    for (const auto& field : header) {
        pending_head_.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    }
    pending_head_.append("\r\n");
    co_return error_code{};
}

template <class Buffers>
awaitable<error_code> ResponseWriter::write_with_head(Buffers buffers) {
    error_code ec;
    stream_.expires_after(write_timeout_);
    if (pending_head_.empty()) {
        bytes_sent_ += co_await net::async_write(stream_, buffers, with_ec(ec));
    } else {
        bytes_sent_ += co_await net::async_write(stream_, beast::buffers_cat(net::buffer(pending_head_), buffers),
                                                 with_ec(ec));
        pending_head_.clear();
    }
    co_return ec;
}

awaitable<error_code> ResponseWriter::write_chunk(std::string_view data) {
    if (data.empty()) co_return error_code{};  // an empty chunk would end the body
    auto chunk = bhttp::make_chunk(net::buffer(data.data(), data.size()));
    const error_code ec = co_await write_with_head(chunk);
    co_return ec;
}

awaitable<error_code> ResponseWriter::finish_stream() {
    auto last = bhttp::make_chunk_last();
    const error_code ec = co_await write_with_head(last);
    complete_ = !ec;
    co_return ec;
}

}  // namespace gaterouter::http
