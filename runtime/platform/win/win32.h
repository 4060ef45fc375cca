// The Windows headers, included the same way by every file in win/: winsock2.h before
// windows.h (else windows.h drags in winsock 1), and without the COM headers'
// `#define interface struct`, which would break io::VipSpec::interface. Nothing in
// win/ declares COM interfaces.
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <tlhelp32.h>
#include <winsvc.h>

#undef interface
