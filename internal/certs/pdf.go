package certs

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/linli/linli/internal/clock"
)

// wqyMicroHei is face 0 of Debian's WenQuanYi Micro Hei collection
// (Apache-2.0 or GPLv3+ with the font exception, see font/COPYRIGHT),
// extracted to a plain TrueType file: the PDF library reads TTF only, and
// this face has CJK, Latin and digits. fpdf embeds only the glyphs used.
//
//go:embed font/wqy-microhei.ttf
var wqyMicroHei []byte

// PDF renders a certificate on one A4 page, with a QR code of verifyURL.
func PDF(c *Certificate, verifyURL string) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(c.IssuedAt)
	p.SetModificationDate(c.IssuedAt)
	p.SetTitle("志愿服务记录证明 "+c.Number, true)
	p.SetAuthor(c.Organiser, true)
	p.AddUTF8FontFromBytes("wqy", "", wqyMicroHei)
	p.SetMargins(22, 20, 22)
	p.SetAutoPageBreak(true, 20)
	p.AddPage()
	w, _ := p.GetPageSize()
	inner := w - 44

	p.SetDrawColor(178, 34, 34)
	p.SetLineWidth(0.8)
	p.Rect(12, 12, w-24, 273, "D")
	p.SetLineWidth(0.2)
	p.Rect(14, 14, w-28, 269, "D")

	p.SetFont("wqy", "", 24)
	p.SetTextColor(178, 34, 34)
	p.SetY(30)
	p.CellFormat(inner, 14, "志愿服务记录证明", "", 1, "C", false, 0, "")
	p.SetFont("wqy", "", 10)
	p.SetTextColor(90, 90, 90)
	p.CellFormat(inner, 6, "证明编号："+c.Number, "", 1, "C", false, 0, "")
	p.Ln(8)

	p.SetTextColor(20, 20, 20)
	p.SetFont("wqy", "", 13)
	body := fmt.Sprintf("兹证明 %s（志愿者编号 %s）于 %s 至 %s 期间，在%s组织下参加志愿服务 %d 次，累计服务时长 %.1f 小时。",
		c.Name, c.VolunteerNumber, cnDate(c.From), cnDate(c.To), c.Organiser, c.Services, c.Hours)
	paragraph(p, inner, 8, body)
	p.Ln(4)
	if len(c.Lines) > 0 {
		p.SetFont("wqy", "", 12)
		p.CellFormat(inner, 8, "主要服务内容：", "", 1, "L", false, 0, "")
		p.SetFont("wqy", "", 11)
		p.SetFillColor(248, 236, 234)
		cols := []float64{inner - 60, 30, 30}
		for i, h := range []string{"服务内容", "次数", "时长（小时）"} {
			p.CellFormat(cols[i], 8, h, "1", 0, "C", true, 0, "")
		}
		p.Ln(-1)
		for _, l := range c.Lines {
			p.CellFormat(cols[0], 8, l.Activity, "1", 0, "L", false, 0, "")
			p.CellFormat(cols[1], 8, fmt.Sprint(l.Times), "1", 0, "C", false, 0, "")
			p.CellFormat(cols[2], 8, fmt.Sprintf("%.1f", l.Hours), "1", 1, "C", false, 0, "")
		}
	}
	p.Ln(6)
	p.SetFont("wqy", "", 12)
	p.CellFormat(inner, 8, "特此证明。", "", 1, "L", false, 0, "")
	p.Ln(10)
	p.CellFormat(inner, 8, "出具单位："+c.Organiser, "", 1, "R", false, 0, "")
	p.CellFormat(inner, 8, "出具日期："+cnDate(c.IssuedAt.In(clock.Shanghai).Format(time.DateOnly)), "", 1, "R", false, 0, "")

	png, err := qrcode.Encode(verifyURL, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("certs: qr code: %w", err)
	}
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	y := 215.0
	p.ImageOptions("qr", 22, y, 38, 38, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.SetXY(64, y+4)
	p.SetFont("wqy", "", 10)
	p.SetTextColor(60, 60, 60)
	paragraph(p, inner-42, 6, "扫描二维码或访问以下网址核验本证明：")
	p.SetX(64)
	paragraph(p, inner-42, 6, verifyURL)
	p.SetXY(64, y+22)
	paragraph(p, inner-42, 5.5, "本证明免费出具，如实记录志愿服务情况，仅用于证明志愿服务经历，不得用于任何商业用途（《志愿服务记录与证明出具办法》第十四、十六条）。")
	if p.Err() {
		return nil, fmt.Errorf("certs: pdf: %w", p.Error())
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("certs: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// paragraph writes text in lines no wider than w, starting at the current
// x. fpdf's MultiCell breaks Chinese text (which has no spaces) by
// dropping the character at each break, so lines are measured here.
func paragraph(p *fpdf.Fpdf, w, h float64, text string) {
	x := p.GetX()
	var line []rune
	flush := func() {
		p.SetX(x)
		p.CellFormat(w, h, string(line), "", 1, "L", false, 0, "")
		line = line[:0]
	}
	for _, r := range text {
		if len(line) > 0 && p.GetStringWidth(string(append(line, r))) > w {
			flush()
		}
		line = append(line, r)
	}
	if len(line) > 0 {
		flush()
	}
}

// cnDate writes 2026-03-01 as 2026年3月1日.
func cnDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}
