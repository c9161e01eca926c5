// The desk's two-factor sign-in: the code step after the password, setting it up (with a QR code
// for authenticator apps), turning it off, and the gate that sends staff to set it up when the
// site requires it.
#include <qrencode.h>

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "auth/totp.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using http::Method;
using http::Request;
using http::Response;

constexpr const char* kPendingCookie = "bs_2fa";

// An SVG drawing of the QR code for `text`, one square per module, with a quiet zone.
std::string QrSvg(const std::string& text) {
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), QRcode_free);
  if (!code) return {};
  const int width = code->width;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[y * width + x] & 1) path += fmt::format("M{},{}h1v1h-1z", x + 4, y + 4);
    }
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" role=\"img\" "
      "aria-label=\"QR code of the key\"><rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/>"
      "<path d=\"{1}\" fill=\"#000\"/></svg>",
      width + 8, path);
}

bool RequiresTwoFactor(Store& store) {
  auto setting = store.DeskSetting("require_two_factor");
  return setting && *setting && **setting == "1";
}

}  // namespace

std::optional<Response> Desk::TwoFactorGate(const Request& request) const {
  const std::string& path = request.path;
  for (std::string_view open :
       {"/admin/login", "/admin/logout", "/admin/two-factor", "/admin/reset", "/admin/password/"}) {
    if (path.starts_with(open)) return std::nullopt;
  }
  auto viewer = CurrentViewer(request);
  if (!viewer || !*viewer || !(*viewer)->user.totp_secret.empty()) return std::nullopt;
  if (!RequiresTwoFactor(store_)) return std::nullopt;
  return Response::Redirect(303, "/admin/two-factor");
}

Result<Response> Desk::CodeForm(const Request& request) const {
  Response cookies;
  const std::string binding = FormBinding(request, &cookies);
  auto csrf = FormToken(binding, "/admin/login/code");
  if (!csrf) return tl::unexpected(csrf.error());
  auto response = Render("code",
                         {{"title", "Two-factor sign-in"},
                          {"csrf", *csrf},
                          {"next", request.QueryParam("next").value_or("/admin/")}},
                         200, std::nullopt);
  if (response) {
    for (auto& header : cookies.headers) response->headers.push_back(std::move(header));
  }
  return response;
}

Result<Response> Desk::Code(const Request& request) const {
  const std::string binding = FormBinding(request, nullptr);
  auto valid = CheckForm(request, binding);
  if (!valid) return tl::unexpected(valid.error());
  if (!*valid) return Fail(ErrorCode::kForbidden, "This form has expired. Sign in again.");
  const auto fields = request.FormFields();
  std::string next = http::FieldValue(fields, "next");
  if (!next.starts_with("/admin/") || next.find("//") != std::string::npos) next = "/admin/";
  auto signed_in = accounts_.CompleteTwoFactor(request.Cookie(kPendingCookie),
                                               http::FieldValue(fields, "code"), request.client_ip,
                                               std::string(request.Header("user-agent")), Now());
  if (!signed_in && signed_in.error().code == ErrorCode::kRateLimited) {
    Response response = Response::Text(429, signed_in.error().message);
    response.headers.emplace_back("Retry-After", std::to_string(accounts_.limits().window));
    response.cache_control = "no-store";
    return response;
  }
  if (!signed_in && signed_in.error().code == ErrorCode::kUnauthenticated) {
    auto csrf = FormToken(binding, "/admin/login/code");
    if (!csrf) return tl::unexpected(csrf.error());
    return Render("code",
                  {{"title", "Two-factor sign-in"},
                   {"csrf", *csrf},
                   {"next", next},
                   {"error", signed_in.error().message}},
                  401, std::nullopt);
  }
  if (!signed_in) return tl::unexpected(signed_in.error());
  Audit(signed_in->viewer, "sign-in", std::nullopt, request.client_ip + " (two-factor)");
  Response response = Response::Redirect(303, next);
  SetSessionCookies(request, &*signed_in, response);
  http::CookieOptions expire;
  expire.path = "/admin";
  expire.max_age = 0;
  expire.secure = request.secure;
  expire.same_site = "Strict";
  response.headers.emplace_back("Set-Cookie", http::SetCookieValue(kPendingCookie, "", expire));
  response.cache_control = "no-store";
  return response;
}

Result<Response> Desk::TwoFactorPage(const auth::Viewer& viewer, int status,
                                     const std::string& notice, const std::string& error) const {
  nlohmann::json view = {{"title", "Two-factor sign-in"},
                         {"enabled", !viewer.user.totp_secret.empty()},
                         {"required", RequiresTwoFactor(store_)},
                         {"notice", notice},
                         {"error", error}};
  if (viewer.user.totp_secret.empty()) {
    auto publication = publication_();
    if (!publication) return tl::unexpected(publication.error());
    const std::string secret = auth::NewTotpSecret();
    auto signature = FormToken("totp:" + viewer.session_hash + ":" + secret, "/admin/two-factor");
    if (!signature) return tl::unexpected(signature.error());
    view["secret"] = secret;
    view["secret_signature"] = *signature;
    view["qr_svg"] = QrSvg(auth::TotpUri(publication->title, viewer.user.email, secret));
  }
  return Render("two_factor", std::move(view), status, viewer);
}

Result<Response> Desk::TwoFactor(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  std::string notice;
  if (auto done = request.QueryParam("done"))
    notice = *done == "on" ? "Two-factor sign-in is on." : "Two-factor sign-in is off.";
  return TwoFactorPage(*viewer, 200, notice, "");
}

Result<Response> Desk::ChangeTwoFactor(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  const std::string code = http::FieldValue(fields, "code");
  const User& user = viewer->user;
  if (http::FieldValue(fields, "do") == "enable") {
    const std::string secret = http::FieldValue(fields, "secret");
    auto genuine = accounts_.CheckFormToken("totp:" + viewer->session_hash + ":" + secret,
                                            "POST /admin/two-factor",
                                            http::FieldValue(fields, "secret_signature"));
    if (!genuine) return tl::unexpected(genuine.error());
    if (!*genuine)
      return Fail(ErrorCode::kForbidden, "This form has expired. Reload the page and try again.");
    const auto step = auth::VerifyTotp(secret, code, Now(), 0);
    if (!step)
      return TwoFactorPage(
          *viewer, 422, "",
          "That code does not match; check the app's clock and try the next code.");
    if (auto saved = store_.SetTotpSecret(user.id, secret); !saved)
      return tl::unexpected(saved.error());
    if (auto used = store_.UseTotpStep(user.id, *step); !used) return tl::unexpected(used.error());
    Audit(*viewer, "two-factor-on", std::nullopt, "");
    return Response::Redirect(303, "/admin/two-factor?done=on");
  }
  if (RequiresTwoFactor(store_)) {
    return TwoFactorPage(*viewer, 422, "",
                         "This site requires two-factor sign-in, so it cannot be turned off.");
  }
  const auto step = auth::VerifyTotp(user.totp_secret, code, Now(), user.totp_last_step);
  auto fresh = step ? store_.UseTotpStep(user.id, *step) : Result<bool>(false);
  if (!fresh) return tl::unexpected(fresh.error());
  if (!*fresh) return TwoFactorPage(*viewer, 422, "", "That code does not match.");
  if (auto saved = store_.SetTotpSecret(user.id, ""); !saved) return tl::unexpected(saved.error());
  Audit(*viewer, "two-factor-off", std::nullopt, "");
  return Response::Redirect(303, "/admin/two-factor?done=off");
}

}  // namespace broadsheet::admin
