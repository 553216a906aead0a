package bots

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/devices"
	"github.com/go-rod/rod/lib/proto"
)

// The default window: wide enough that responsive sites show their
// desktop menus (at 800x600 many collapse them behind a toggle).
const (
	DefaultWindowWidth  = 1280
	DefaultWindowHeight = 900
)

// Devices a site may be emulated as (sites.X.device).
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile" // an iPhone X: touch, mobile user agent
	DeviceTablet  = "tablet" // an iPad
)

// Window is the size of the page's viewport in CSS pixels.
type Window struct {
	Width  int `json:"width" yaml:"width"`
	Height int `json:"height" yaml:"height"`
}

// SiteOptions are a site's settings of the browser page, from the sites
// section of the config. The zero value is a 1280x900 desktop that
// handles dialogs by DefaultDialogs.
type SiteOptions struct {
	// Window overrides the device's size; zero takes the device's.
	Window Window
	// Device is DeviceDesktop (""), DeviceMobile or DeviceTablet.
	Device string
	// Dialogs says what to do with each kind of JavaScript dialog.
	Dialogs DialogPolicy
}

// Validate reports a setting the engine cannot apply, naming it.
func (o SiteOptions) Validate() error {
	if o.Window.Width < 0 || o.Window.Height < 0 || (o.Window.Width == 0) != (o.Window.Height == 0) {
		return fmt.Errorf("window %dx%d: give both width and height, positive", o.Window.Width, o.Window.Height)
	}
	if o.Window.Width > 10000 || o.Window.Height > 10000 {
		return fmt.Errorf("window %dx%d: at most 10000 pixels a side", o.Window.Width, o.Window.Height)
	}
	switch strings.ToLower(o.Device) {
	case "", DeviceDesktop, DeviceMobile, DeviceTablet:
	default:
		return fmt.Errorf("device %q: want %s, %s or %s", o.Device, DeviceDesktop, DeviceMobile, DeviceTablet)
	}
	return o.Dialogs.Validate()
}

// metrics is the device metrics override for the options.
func (o SiteOptions) metrics() (proto.EmulationSetDeviceMetricsOverride, *devices.Device) {
	m := proto.EmulationSetDeviceMetricsOverride{Width: DefaultWindowWidth, Height: DefaultWindowHeight, DeviceScaleFactor: 1}
	var dev *devices.Device
	switch strings.ToLower(o.Device) {
	case DeviceMobile:
		d := devices.IPhoneX
		dev = &d
	case DeviceTablet:
		d := devices.IPad
		dev = &d
	}
	if dev != nil {
		m = *dev.MetricsEmulation()
	}
	if o.Window.Width > 0 && o.Window.Height > 0 {
		m.Width, m.Height = o.Window.Width, o.Window.Height
	}
	return m, dev
}

// applyViewport sizes the page (and, for a device, its touch and user
// agent) with Emulation.setDeviceMetricsOverride.
func applyViewport(page *rod.Page, o SiteOptions) error {
	m, dev := o.metrics()
	if err := m.Call(page); err != nil {
		return fmt.Errorf("set the window to %dx%d: %w", m.Width, m.Height, err)
	}
	if dev == nil {
		return nil
	}
	if err := dev.TouchEmulation().Call(page); err != nil {
		return fmt.Errorf("emulate touch for %s: %w", o.Device, err)
	}
	if err := dev.UserAgentEmulation().Call(page); err != nil {
		return fmt.Errorf("set the user agent for %s: %w", o.Device, err)
	}
	return nil
}

type siteOptionsKey struct{}

// WithSiteOptions returns ctx carrying a site's page settings: a run whose
// Job.Site is zero takes them from there, so that a caller that only
// passes the engine a context (the runner's Execute) can set them.
func WithSiteOptions(ctx context.Context, o SiteOptions) context.Context {
	return context.WithValue(ctx, siteOptionsKey{}, o)
}

// SiteOptionsFrom returns the site settings ctx carries, if any.
func SiteOptionsFrom(ctx context.Context) (SiteOptions, bool) {
	o, ok := ctx.Value(siteOptionsKey{}).(SiteOptions)
	return o, ok
}
