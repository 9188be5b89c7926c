/** Types of what Vite adds to the browser build: CSS and asset imports, import.meta.env. */

/// <reference types="vite/client" />
