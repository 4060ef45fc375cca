// The Windows headers, included the same way by every file in win/: winsock2.h before
// windows.h (else windows.h drags in winsock 1).
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <tlhelp32.h>
#include <winsvc.h>

